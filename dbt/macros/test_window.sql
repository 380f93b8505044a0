{#- Data tests on a daily build check the days that build rebuilt, not the whole history: every data
    test gets `where: "__partition_window__"` (dbt_project.yml), which becomes the partition window
    (the min_date/max_date vars) on the tested relation's `day` column, or the column its model names
    in `meta: {window_column: ...}` (stg_video_stats_snapshots: observed_on). A relation with neither
    (stg_brands) is tested whole, and so is everything with `--vars '{full_tests: true}'` (Dagster:
    the dbt_models op config `full_tests`, or the run tag listening_pipeline/full_tests=true).
    A plain `dbt build` has the widest window by default, so it tests every row. -#}
{% macro get_where_subquery(relation) -%}
  {%- set where = config.get('where') -%}
  {%- if where and '__partition_window__' in where -%}
    {%- set window = '1 = 1' -%}
    {%- if execute and (var('full_tests', false) | string | lower) not in ('true', '1', 'yes') -%}
      {%- set column = window_column(relation) -%}
      {%- if column -%}
        {%- set window = partition_window(column) -%}
      {%- endif -%}
    {%- endif -%}
    {%- set where = where | replace('__partition_window__', window) -%}
  {%- endif -%}
  {%- if where -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
  {%- else -%}
    {%- do return(relation) -%}
  {%- endif -%}
{%- endmacro %}

{#- The tested relation's day column: `day`, or its model's meta `window_column`; none when it has neither.
    The tested node's declared columns answer without a query to the database (a daily build runs some
    230 tests); a node that does not declare `day` is looked up in the database, so an undeclared `day`
    still gets the window. -#}
{% macro window_column(relation) -%}
  {%- set node = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
  {%- if node and 'day' in (node.columns.keys() | map('lower') | list) -%}
    {%- do return('day') -%}
  {%- endif -%}
  {%- if node and node.config.meta.get('window_column') -%}
    {%- do return(node.config.meta['window_column']) -%}
  {%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
  {%- do return('day' if 'day' in columns else none) -%}
{%- endmacro %}
