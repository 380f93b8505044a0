-- Per tracked hashtag and day: volume, creators, reach and engagement, plus what could not be read.
with videos as (
    select * from {{ ref('stg_videos') }}
    where {{ partition_window('day') }}
),

comments as (
    select
        hashtag,
        day,
        count(*) as comments_collected
    from {{ ref('stg_comments') }}
    where {{ partition_window('day') }}
    group by hashtag, day
),

quarantined as (
    select
        hashtag,
        day,
        count(*) as quarantined_items
    from {{ ref('stg_quarantine') }}
    where {{ partition_window('day') }}
    group by hashtag, day
),

per_hashtag as (
    select
        hashtag,
        day,
        count(*) as videos,
        count(distinct creator) as creators,
        cast(sum(view_count) as bigint) as views,
        cast(sum(engagement) as bigint) as engagement,
        cast(sum(case when has_media then 0 else 1 end) as bigint) as videos_without_media
    from videos
    group by hashtag, day
)

select
    p.hashtag,
    p.day,
    p.videos,
    p.creators,
    p.views,
    p.engagement,
    case when p.views > 0 then cast(p.engagement as double precision) / p.views end as engagement_rate,
    coalesce(c.comments_collected, 0) as comments_collected,
    p.videos_without_media,
    coalesce(q.quarantined_items, 0) as quarantined_items
from per_hashtag as p
left join comments as c on p.hashtag = c.hashtag and p.day = c.day
left join quarantined as q on p.hashtag = q.hashtag and p.day = q.day
