{{
  config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_partition_window('day') }}",
  )
}}
-- Share of voice per day within each competitor group: a brand's mentions (and reach) over its
-- group's. Every catalog brand of a group that was mentioned that day has a row, 0 when it was
-- not mentioned, so a group's shares sum to 1. Mentions are counted once across hashtags.
with mentions as (
    {{ brand_mentions_once(partition_window('day')) }}
),
videos as (
    {{ videos_once(partition_window('day')) }}
),
brands as (
    select brand, competitor_group from {{ ref('stg_brands') }}
),
brand_counts as (
    select day, brand, count(*) as mentions, count(distinct video_id) as mentioning_videos
    from mentions
    group by day, brand
),
brand_reach as (
    select mv.day, mv.brand, sum(v.view_count) as reach
    from (select distinct day, brand, video_id from mentions) mv
    join videos v on v.day = mv.day and v.video_id = mv.video_id
    group by mv.day, mv.brand
),
groups_mentioned as (
    select distinct c.day, b.competitor_group
    from brand_counts c
    join brands b on b.brand = c.brand
),
per_brand as (
    select
        g.day,
        g.competitor_group,
        b.brand,
        cast(coalesce(c.mentions, 0) as bigint) as mentions,
        cast(coalesce(c.mentioning_videos, 0) as bigint) as mentioning_videos,
        cast(coalesce(r.reach, 0) as bigint) as reach
    from groups_mentioned g
    join brands b on b.competitor_group = g.competitor_group
    left join brand_counts c on c.day = g.day and c.brand = b.brand
    left join brand_reach r on r.day = g.day and r.brand = b.brand
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
