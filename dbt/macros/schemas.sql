{#- Models land in the schema they name (staging, intermediate, marts), not <target schema>_<name>:
    BI tools get stable schema names on every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
