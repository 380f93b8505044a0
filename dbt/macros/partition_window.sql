{#- The partition window Dagster passes as vars: min_date inclusive, max_date exclusive. -#}
{% macro partition_window(column) -%}
  {{ column }} >= cast('{{ var("min_date") }}' as date) and {{ column }} < cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{#- The partition window widened by `days` days before min_date: what a trailing baseline reads. -#}
{% macro partition_window_with_lookback(column, days) -%}
  {{ column }} >= cast('{{ var("min_date") }}' as date) - {{ days | int }} and {{ column }} < cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{#- Incremental models delete their window before inserting it again, so a day that lost all
    its rows (removed videos) is emptied too, and a re-run never duplicates. The marts run it as
    their pre-hook (dbt_project.yml). -#}
{% macro delete_partition_window(column='day') -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where {{ partition_window(column) }}
  {%- else -%}
    select 1
  {%- endif -%}
{%- endmacro %}
