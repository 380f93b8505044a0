-- Per video and day it was observed: its counts at the day's last observation and what it gained
-- since the day before it was observed, and since it was first seen. `day` is the video's creation
-- day (its partition), so rebuilding a partition rebuilds its videos' whole growth. Every window is
-- per (day, video): should two exports give the same id to videos of two days, each keeps its rows.
with videos as (
    select
        day,
        video_id,
        creator
    from {{ ref('int_videos_deduplicated') }}
    where {{ partition_window('day') }}
),

observed as (
    select
        v.day,
        v.video_id,
        v.creator,
        s.observed_on,
        s.collected_at,
        s.view_count,
        s.like_count,
        s.comment_count,
        s.share_count,
        s.favorites_count,
        s.engagement,
        row_number() over (
            partition by v.day, s.video_id, s.observed_on order by s.collected_at desc
        ) as latest_first
    from videos as v
    inner join {{ ref('stg_video_stats_snapshots') }} as s on v.video_id = s.video_id
),

daily as (
    select * from observed
    where latest_first = 1
),

growth as (
    select
        day,
        video_id,
        creator,
        observed_on,
        collected_at,
        view_count,
        like_count,
        comment_count,
        share_count,
        favorites_count,
        engagement,
        min(observed_on) over (partition by day, video_id) as first_seen_on,
        view_count - lag(view_count) over (partition by day, video_id order by observed_on) as views_gained,
        engagement - lag(engagement) over (partition by day, video_id order by observed_on) as engagement_gained,
        view_count
        - first_value(view_count) over (partition by day, video_id order by observed_on) as views_since_first_seen,
        engagement
        - first_value(engagement) over (partition by day, video_id order by observed_on) as engagement_since_first_seen
    from daily
)

select
    day,
    video_id,
    creator,
    observed_on,
    first_seen_on,
    cast(observed_on - first_seen_on as integer) as days_since_first_seen,
    collected_at as last_collected_at,
    cast(view_count as bigint) as view_count,
    cast(like_count as bigint) as like_count,
    cast(comment_count as bigint) as comment_count,
    cast(share_count as bigint) as share_count,
    cast(favorites_count as bigint) as favorites_count,
    cast(engagement as bigint) as engagement,
    cast(views_gained as bigint) as views_gained,
    cast(engagement_gained as bigint) as engagement_gained,
    cast(views_since_first_seen as bigint) as views_since_first_seen,
    cast(engagement_since_first_seen as bigint) as engagement_since_first_seen
from growth
