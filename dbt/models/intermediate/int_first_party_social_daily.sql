-- Each brand's social series beside its first-party numbers, per first-party region and metric, on
-- every calendar day from the first to the last collected day: mentions and negative mentions (0 on
-- a day without any, not missing), each mention once across hashtags, and the metric's value that
-- day (null where the team has no number). Region 'ALL' counts videos from every region, another
-- code only videos the platform placed there.
with collected as (
    select
        min(day) as first_day,
        max(day) as last_day
    from {{ ref('int_collected_days') }}
),

spine as (
    select cast(g.d as date) as day
    from collected
    cross join
        generate_series(
            cast(collected.first_day as timestamp), cast(collected.last_day as timestamp), interval '1 day'
        ) as g (d)
),

series as (
    select distinct
        brand,
        region,
        metric
    from {{ ref('stg_first_party_daily') }}
),

social as (
    select
        s.brand,
        s.region,
        s.metric,
        m.day,
        count(*) as mentions,
        count(*) filter (where m.sentiment_label = 'negative') as negative_mentions
    from {{ ref('int_brand_mentions_deduplicated') }} as m
    inner join series as s on m.brand = s.brand
    left join {{ ref('int_videos_deduplicated') }} as v on m.day = v.day and m.video_id = v.video_id
    where s.region = 'ALL' or s.region = v.region
    group by s.brand, s.region, s.metric, m.day
)

select
    s.brand,
    s.region,
    s.metric,
    d.day,
    cast(coalesce(m.mentions, 0) as bigint) as mentions,
    cast(coalesce(m.negative_mentions, 0) as bigint) as negative_mentions,
    f.value
from series as s
cross join spine as d
left join social as m
    on s.brand = m.brand and s.region = m.region and s.metric = m.metric and d.day = m.day
left join {{ ref('stg_first_party_daily') }} as f
    on s.brand = f.brand and s.region = f.region and s.metric = f.metric and d.day = f.day
