{#- A date var as a SQL date literal. The window comes from a person's `--vars`, else from the
    environment Dagster sets (LISTENING_PIPELINE_DBT_MIN_DATE / _MAX_DATE: unlike new vars, a new value
    there does not make dbt re-parse the project), else every day. Only an ISO date
    (YYYY-MM-DD) reaches the SQL, anything else stops the run. -#}
{% macro date_var(name) -%}
  {%- if not execute -%}
    {#- Parsing: the window is left unread, so dbt records no dependence on it and a new window
        re-parses nothing (about a second per partition). Executed, the model reads it below. -#}
    cast('1900-01-01' as date)
  {%- else -%}
    {%- set every_day = {'min_date': '1900-01-01', 'max_date': '2999-12-31'} -%}
    {%- set text = var(name, env_var('LISTENING_PIPELINE_DBT_' ~ name | upper, every_day[name])) | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
      {{ exceptions.raise_compiler_error(name ~ " (--vars, or LISTENING_PIPELINE_DBT_" ~ name | upper ~ ") must be a date YYYY-MM-DD, not " ~ text) }}
    {%- endif -%}
    cast('{{ modules.datetime.date.fromisoformat(text).isoformat() }}' as date)
  {%- endif -%}
{%- endmacro %}

{#- The partition window Dagster passes as vars: min_date inclusive, max_date exclusive. -#}
{% macro partition_window(column) -%}
  {{ column }} >= {{ date_var("min_date") }} and {{ column }} < {{ date_var("max_date") }}
{%- endmacro %}

{#- The partition window widened by `days` days before min_date: what a trailing baseline reads. -#}
{% macro partition_window_with_lookback(column, days) -%}
  {{ column }} >= {{ date_var("min_date") }} - {{ days | int }} and {{ column }} < {{ date_var("max_date") }}
{%- endmacro %}

{#- Incremental models delete their window before inserting it again, so a day that lost all
    its rows (removed videos) is emptied too, and a re-run never duplicates. The marts run it as
    their pre-hook (dbt_project.yml), inside the model's transaction. On PostgreSQL two dbt runs
    over the same days could otherwise both delete, then both insert: a transaction-scoped lock per
    model makes the second wait for the first to commit (DuckDB allows one writer per file anyway); the
    marts built as whole tables (first_party, campaigns, switches) take the same lock. -#}
{% macro delete_partition_window(column='day') -%}
  {%- if target.type == 'postgres' -%}
    {#- Also for a first build and for the marts built as whole tables: two runs creating the same
        table at once would collide on its name. -#}
    select pg_advisory_xact_lock(hashtext('{{ this }}'));
  {% endif -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where {{ partition_window(column) }}
  {%- else -%}
    select 1
  {%- endif -%}
{%- endmacro %}

