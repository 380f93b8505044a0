{#- sound_trends and effect_trends: per day and sound (or effect) over every tracked hashtag, its
    videos, creators, reach and the brands mentioned in those videos, against a trailing baseline (its
    average videos per collected day over the trend_baseline_days before, any tracked hashtag); rising
    by the same rule as hashtag_trends (macros/trend_rule.sql). The baseline reads upstream views, not the mart, so a day
    rebuilt alone and the same day rebuilt in a range agree. `feature` is 'sound' or 'effect'. -#}
{% macro feature_trends(feature, id_column) -%}
{%- set lookback = var('trend_baseline_days') | int -%}
with features as (
    select
        day,
        video_id,
        feature_id,
        feature_name,
        creator,
        view_count,
        engagement
    from {{ ref('int_video_features_daily') }}
    where feature = '{{ feature }}' and {{ partition_window_with_lookback('day', lookback) }}
),

daily as (
    select
        day,
        feature_id,
        max(feature_name) as feature_name,
        count(*) as videos,
        count(distinct creator) as creators,
        sum(view_count) as views,
        sum(engagement) as engagement
    from features
    group by day, feature_id
),

collected as (
    select distinct day
    from {{ ref('int_collected_days') }}
    where {{ partition_window_with_lookback('day', lookback) }}
),

today as (
    select * from daily
    where {{ partition_window('day') }}
),

baseline_days as (
    select
        t.day,
        count(c.day) as baseline_days
    from (select distinct day from today) as t
    left join collected as c on t.day > c.day and c.day >= t.day - {{ lookback }}
    group by t.day
),

trailing_counts as (
    select
        t.day,
        t.feature_id,
        coalesce(sum(h.videos), 0) as trailing_videos,
        coalesce(sum(h.views), 0) as trailing_views
    from today as t
    left join daily as h
        on t.feature_id = h.feature_id and t.day > h.day and h.day >= t.day - {{ lookback }}
    group by t.day, t.feature_id
),

hashtags as (
    select
        f.day,
        f.feature_id,
        count(distinct v.hashtag) as tracked_hashtags
    from features as f
    inner join {{ ref('stg_videos') }} as v on f.day = v.day and f.video_id = v.video_id
    where {{ partition_window('f.day') }}
    group by f.day, f.feature_id
),

mentioned as (
    select distinct
        f.day,
        f.feature_id,
        f.video_id,
        m.brand
    from features as f
    inner join {{ ref('int_brand_mentions_deduplicated') }} as m on f.day = m.day and f.video_id = m.video_id
    where {{ partition_window('f.day') }}
),

brands as (
    select
        day,
        feature_id,
        count(distinct video_id) as mentioning_videos,
        string_agg(distinct brand, ', ' order by brand) as co_mentioned_brands
    from mentioned
    group by day, feature_id
),

scored as (
    select
        t.day,
        t.feature_id,
        t.feature_name,
        t.videos,
        t.creators,
        t.views,
        t.engagement,
        b.baseline_days,
        coalesce(h.tracked_hashtags, 0) as tracked_hashtags,
        coalesce(br.mentioning_videos, 0) as mentioning_videos,
        br.co_mentioned_brands,
        {{ trend_baseline('tr.trailing_videos', 'b.baseline_days') }} as baseline_videos,
        {{ trend_baseline('tr.trailing_views', 'b.baseline_days') }} as baseline_views
    from today as t
    inner join baseline_days as b on t.day = b.day
    inner join trailing_counts as tr on t.day = tr.day and t.feature_id = tr.feature_id
    left join hashtags as h on t.day = h.day and t.feature_id = h.feature_id
    left join brands as br on t.day = br.day and t.feature_id = br.feature_id
)

select
    day,
    feature_id as {{ id_column }},
    {% if feature == 'effect' -%} feature_name as effect_name, {%- endif %}
    cast(videos as bigint) as videos,
    cast(creators as bigint) as creators,
    cast(views as bigint) as views,
    cast(engagement as bigint) as engagement,
    cast(tracked_hashtags as bigint) as tracked_hashtags,
    cast(mentioning_videos as bigint) as mentioning_videos,
    co_mentioned_brands,
    cast(baseline_days as integer) as baseline_days,
    baseline_videos,
    {{ trend_growth('videos', 'baseline_videos') }} as growth_ratio,
    baseline_views,
    {{ trend_growth('views', 'baseline_views') }} as views_growth_ratio,
    {{ trend_is_rising('videos', 'baseline_days', 'baseline_videos') }} as is_rising
from scored
{%- endmacro %}
