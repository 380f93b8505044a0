{#- int_campaign_videos is built per partition window like the marts, but a campaign's rows also depend on
    the catalog: a campaign added, or given another brand, hashtag or days, must be counted over all its
    days at the next build, not only over the window. -#}

{#- Whether two campaign rows (a stg_campaigns row and one of the table's) define the same campaign. -#}
{% macro same_campaign(left, right) -%}
  {{ left }}.campaign = {{ right }}.campaign and {{ left }}.brand = {{ right }}.brand
  and {{ left }}.hashtag = {{ right }}.hashtag and {{ left }}.start_day = {{ right }}.start_day
  and {{ left }}.end_day = {{ right }}.end_day
{%- endmacro %}

{#- Whether the table holds campaign `alias` (a stg_campaigns row) as the catalog defines it now, on some
    day outside the window being rebuilt. A campaign that is not is built over all its days. The window
    is left out so that the answer is the same before and after the pre-hook deleted the window's rows
    (the model reads it once while compiling, before the hooks, and once in its SQL, after them). -#}
{% macro campaign_built_before(alias) -%}
  exists(
      select 1 from {{ this }} as t
      where {{ same_campaign(alias, 't') }} and not ({{ partition_window('t.day') }})
  )
{%- endmacro %}

{#- int_campaign_videos' second pre-hook: the rows of campaigns the catalog no longer defines so (removed,
    or another brand, hashtag or days) go, and the model counts the campaign's days again. -#}
{% macro delete_changed_campaigns() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} as t
    where not exists(select 1 from {{ ref('stg_campaigns') }} as c where {{ same_campaign('c', 't') }})
  {%- else -%}
    select 1
  {%- endif -%}
{%- endmacro %}
