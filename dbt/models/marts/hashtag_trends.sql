{%- set lookback = var('trend_baseline_days') | int %}
-- Per day and tracked hashtag, the other hashtags on its videos (co-hashtags), with their volume
-- against a trailing baseline: the average videos per collected day of the tracked hashtag over
-- the trend_baseline_days before (the rule in macros/trend_rule.sql). The baseline reads upstream
-- models, not this mart, so a day rebuilt alone and the same day rebuilt in a range agree.
with daily as (
    select
        hashtag,
        day,
        co_hashtag,
        videos,
        views
    from {{ ref('int_co_hashtags_daily') }}
    where {{ partition_window_with_lookback('day', lookback) }}
),

collected as (
    select
        hashtag,
        day
    from {{ ref('int_collected_days') }}
    where {{ partition_window_with_lookback('day', lookback) }}
),

today as (
    select * from daily
    where {{ partition_window('day') }}
),

today_hashtags as (
    select distinct
        hashtag,
        day
    from today
),

baseline_days as (
    select
        d.hashtag,
        d.day,
        count(c.day) as baseline_days
    from today_hashtags as d
    left join collected as c
        on d.hashtag = c.hashtag and d.day > c.day and c.day >= d.day - {{ lookback }}
    group by d.hashtag, d.day
),

trailing_counts as (
    select
        t.hashtag,
        t.day,
        t.co_hashtag,
        coalesce(sum(h.videos), 0) as trailing_videos
    from today as t
    left join daily as h
        on
            t.hashtag = h.hashtag
            and t.co_hashtag = h.co_hashtag
            and t.day > h.day
            and h.day >= t.day - {{ lookback }}
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
        {{ trend_baseline('tr.trailing_videos', 'b.baseline_days') }} as baseline_videos
    from today as t
    inner join baseline_days as b on t.hashtag = b.hashtag and t.day = b.day
    inner join trailing_counts as tr
        on t.hashtag = tr.hashtag and t.day = tr.day and t.co_hashtag = tr.co_hashtag
)

select
    day,
    hashtag,
    co_hashtag,
    cast(videos as bigint) as videos,
    cast(views as bigint) as views,
    cast(baseline_days as integer) as baseline_days,
    baseline_videos,
    {{ trend_growth('videos', 'baseline_videos') }} as growth_ratio,
    {{ trend_is_rising('videos', 'baseline_days', 'baseline_videos') }} as is_rising
from scored
