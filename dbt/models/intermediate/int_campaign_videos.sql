-- The videos taking part in each campaign: created between its start and end day and carrying its
-- hashtag, whichever tracked hashtag they were collected under (a video collected under two is one
-- participant), with their largest collected counts and the campaign brand's mentions in them.
-- A table built per partition window (dbt_project.yml), so campaign_performance's running totals read
-- this small table instead of every collected video. What a window build rebuilds: the window's days
-- of every campaign, and every day of a campaign whose definition this table does not hold yet (new
-- to the catalog, or its brand, hashtag or days changed: the pre-hook deleted its old rows), so a
-- campaign added with a start day in the past counts its past days at once.
{#- The days this build reads, as literal dates so that every scan below is cut to them: the window,
    widened to every day of the campaigns not built before. -#}
{%- set span = ["cast('1900-01-01' as date)", "cast('2999-12-31' as date)"] -%}
{%- if execute and is_incremental() -%}
  {%- set widest = run_query(
      "select cast(min(start_day) as varchar), cast(max(end_day) as varchar) from " ~ ref('stg_campaigns')
      ~ " as c where not " ~ campaign_built_before('c')
  ).rows[0] -%}
  {%- set span = [date_var('min_date'), date_var('max_date') ~ " - 1"] -%}
  {%- if widest[0] is not none -%}
    {%- set span = [
        "least(" ~ span[0] ~ ", cast('" ~ widest[0] ~ "' as date))",
        "greatest(" ~ span[1] ~ ", cast('" ~ widest[1] ~ "' as date))",
    ] -%}
  {%- endif -%}
{%- endif %}

with campaigns as (
    select
        c.campaign,
        c.brand,
        c.hashtag,
        c.start_day,
        c.end_day,
        {% if is_incremental() -%}
            {{ campaign_built_before('c') }} as built_before
        {%- else -%}
            false as built_before
        {%- endif %}
    from {{ ref('stg_campaigns') }} as c
),

rebuilt as (
    -- The days of each campaign this build counts.
    select
        campaign,
        brand,
        hashtag,
        start_day,
        end_day,
        case when built_before then greatest(start_day, {{ date_var('min_date') }}) else start_day end as from_day,
        case when built_before then least(end_day, {{ date_var('max_date') }} - 1) else end_day end as to_day
    from campaigns
),

videos as (
    select *
    from {{ ref('stg_videos') }}
    where day between {{ span[0] }} and {{ span[1] }}
),

carried as (
    -- Every hashtag a collected video carries, the one it was collected under included.
    select
        day,
        video_id,
        hashtag as tag
    from videos
    union
    select
        day,
        video_id,
        unnest(hashtags) as tag
    from videos
),

participants as (
    select distinct
        r.campaign,
        r.brand,
        r.hashtag,
        r.start_day,
        r.end_day,
        t.day,
        t.video_id
    from rebuilt as r
    inner join carried as t on r.hashtag = t.tag and t.day between r.from_day and r.to_day
),

mentions as (
    select
        m.day,
        m.video_id,
        m.brand,
        count(*) as brand_mentions,
        count(*) filter (where m.sentiment_label = 'positive') as positive_mentions,
        count(*) filter (where m.sentiment_label = 'neutral') as neutral_mentions,
        count(*) filter (where m.sentiment_label = 'negative') as negative_mentions
    from {{ ref('int_brand_mentions_deduplicated') }} as m
    where m.day between {{ span[0] }} and {{ span[1] }}
    group by m.day, m.video_id, m.brand
),

deduplicated as (
    select *
    from {{ ref('int_videos_deduplicated') }}
    where day between {{ span[0] }} and {{ span[1] }}
)

select
    p.campaign,
    p.brand,
    p.hashtag,
    p.start_day,
    p.end_day,
    p.day,
    p.video_id,
    v.creator,
    v.view_count,
    v.engagement,
    coalesce(m.brand_mentions, 0) as brand_mentions,
    coalesce(m.positive_mentions, 0) as positive_mentions,
    coalesce(m.neutral_mentions, 0) as neutral_mentions,
    coalesce(m.negative_mentions, 0) as negative_mentions
from participants as p
inner join deduplicated as v on p.day = v.day and p.video_id = v.video_id
left join mentions as m on p.day = m.day and p.video_id = m.video_id and p.brand = m.brand
