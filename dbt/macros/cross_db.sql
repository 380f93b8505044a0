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
