-- Share of voice per day within each competitor group: a brand's mentions (and reach) over its
-- group's. Every catalog brand of a group that was mentioned that day has a row, 0 when it was
-- not mentioned, so a group's shares sum to 1. Mentions are counted once across hashtags.
with mentions as (
    select
        day,
        brand,
        video_id
    from {{ ref('int_brand_mentions_deduplicated') }}
    where {{ partition_window('day') }}
),

videos as (
    select
        day,
        video_id,
        view_count
    from {{ ref('int_videos_deduplicated') }}
    where {{ partition_window('day') }}
),

brands as (
    select
        brand,
        competitor_group
    from {{ ref('stg_brands') }}
),

brand_counts as (
    select
        day,
        brand,
        count(*) as mentions,
        count(distinct video_id) as mentioning_videos
    from mentions
    group by day, brand
),

mentioning_videos as (
    select distinct
        day,
        brand,
        video_id
    from mentions
),

brand_reach as (
    select
        mv.day,
        mv.brand,
        sum(v.view_count) as reach
    from mentioning_videos as mv
    inner join videos as v on mv.day = v.day and mv.video_id = v.video_id
    group by mv.day, mv.brand
),

groups_mentioned as (
    select distinct
        c.day,
        b.competitor_group
    from brand_counts as c
    inner join brands as b on c.brand = b.brand
),

per_brand as (
    select
        g.day,
        g.competitor_group,
        b.brand,
        cast(coalesce(c.mentions, 0) as bigint) as mentions,
        cast(coalesce(c.mentioning_videos, 0) as bigint) as mentioning_videos,
        cast(coalesce(r.reach, 0) as bigint) as reach
    from groups_mentioned as g
    inner join brands as b on g.competitor_group = b.competitor_group
    left join brand_counts as c on g.day = c.day and b.brand = c.brand
    left join brand_reach as r on g.day = r.day and b.brand = r.brand
),

with_group as (
    select
        *,
        cast(sum(mentions) over (partition by day, competitor_group) as bigint) as group_mentions,
        cast(sum(reach) over (partition by day, competitor_group) as bigint) as group_reach
    from per_brand
)

select
    day,
    competitor_group,
    brand,
    mentions,
    mentioning_videos,
    reach,
    group_mentions,
    group_reach,
    cast(mentions as double precision) / group_mentions as share_of_voice,
    case when group_reach > 0 then cast(reach as double precision) / group_reach end as reach_share
from with_group
