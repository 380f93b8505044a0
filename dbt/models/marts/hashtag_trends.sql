{{
  config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_partition_window('day') }}",
  )
}}
{%- set lookback = var('trend_baseline_days') | int %}
-- Per day and tracked hashtag, the other hashtags on its videos (co-hashtags), with their volume
-- against a trailing baseline: the average videos per collected day of the tracked hashtag over
-- the trend_baseline_days before. The baseline reads stg_videos, not this mart, so a day rebuilt
-- alone and the same day rebuilt in a range agree.
with videos as (
    select hashtag, day, video_id, view_count, hashtags
    from {{ ref('stg_videos') }}
    where {{ partition_window_with_lookback('day', lookback) }}
),
tagged as (
    select distinct v.hashtag, v.day, v.video_id, v.view_count, t.co_hashtag
    from videos v
    cross join unnest(v.hashtags) as t(co_hashtag)
    where t.co_hashtag is not null and t.co_hashtag <> '' and t.co_hashtag <> v.hashtag
),
daily as (
    select hashtag, day, co_hashtag, count(*) as videos, sum(view_count) as views
    from tagged
    group by hashtag, day, co_hashtag
),
collected as (
    select distinct hashtag, day from videos
),
today as (
    select * from daily where {{ partition_window('day') }}
),
baseline_days as (
    select d.hashtag, d.day, count(c.day) as baseline_days
    from (select distinct hashtag, day from today) d
    left join collected c
        on c.hashtag = d.hashtag and c.day < d.day and c.day >= d.day - {{ lookback }}
    group by d.hashtag, d.day
),
trailing_counts as (
    select t.hashtag, t.day, t.co_hashtag, coalesce(sum(h.videos), 0) as trailing_videos
    from today t
    left join daily h
        on h.hashtag = t.hashtag and h.co_hashtag = t.co_hashtag and h.day < t.day and h.day >= t.day - {{ lookback }}
    group by t.hashtag, t.day, t.co_hashtag
),
scored as (
    select
        t.hashtag,
        t.day,
        t.co_hashtag,
        t.videos,
        t.views,
        b.baseline_days,
        case when b.baseline_days > 0 then cast(tr.trailing_videos as double precision) / b.baseline_days end as baseline_videos
    from today t
    join baseline_days b on b.hashtag = t.hashtag and b.day = t.day
    join trailing_counts tr on tr.hashtag = t.hashtag and tr.day = t.day and tr.co_hashtag = t.co_hashtag
)
select
    day,
    hashtag,
    co_hashtag,
    cast(videos as bigint) as videos,
    cast(views as bigint) as views,
    cast(baseline_days as integer) as baseline_days,
    baseline_videos,
    case when baseline_videos > 0 then cast(videos as double precision) / baseline_videos end as growth_ratio,
    coalesce(
        baseline_days >= {{ var('trend_min_baseline_days') | int }}
        and videos >= {{ var('trend_min_videos') | int }}
        and (baseline_videos = 0 or videos >= cast({{ var('trend_min_ratio') }} as double precision) * baseline_videos),
        false
    ) as is_rising
from scored
