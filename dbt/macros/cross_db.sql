{#- Expressions that must give the same result on DuckDB and PostgreSQL. -#}

{#- A date as 'YYYY-MM-DD' text on every engine, whatever the session's DateStyle
    (alert ids hash it, and the alert sensor recomputes them in Python). -#}
{% macro iso_date(column) -%}
  {{ return(adapter.dispatch('iso_date')(column)) }}
{%- endmacro %}

{% macro default__iso_date(column) -%}
  cast({{ column }} as varchar)
{%- endmacro %}

{% macro duckdb__iso_date(column) -%}
  strftime({{ column }}, '%Y-%m-%d')
{%- endmacro %}

{% macro postgres__iso_date(column) -%}
  to_char({{ column }}, 'YYYY-MM-DD')
{%- endmacro %}

{#- Text in byte order on every engine, for tie-breaks that must not depend on the database's
    locale (PostgreSQL sorts by its collation, DuckDB by bytes). -#}
{% macro bytewise(column) -%}
  {{ return(adapter.dispatch('bytewise')(column)) }}
{%- endmacro %}

{% macro default__bytewise(column) -%}
  {{ column }}
{%- endmacro %}

{% macro postgres__bytewise(column) -%}
  {{ column }} collate "C"
{%- endmacro %}

{#- A JSON array (as text) of one object per row of the group, keys in the order given: `fields` is a
    list of [key, expression] pairs. The same keys and values on every engine (the alert sensor and
    BI tools parse it). -#}
{% macro json_array_of_objects(fields, order_by) -%}
  {{ return(adapter.dispatch('json_array_of_objects')(fields, order_by)) }}
{%- endmacro %}

{% macro duckdb__json_array_of_objects(fields, order_by) -%}
  cast(to_json(list(json_object(
    {%- for key, expression in fields %}'{{ key }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor -%}
  ) order by {{ order_by }})) as varchar)
{%- endmacro %}

{% macro postgres__json_array_of_objects(fields, order_by) -%}
  cast(json_agg(json_build_object(
    {%- for key, expression in fields %}'{{ key }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor -%}
  ) order by {{ order_by }}) as text)
{%- endmacro %}
