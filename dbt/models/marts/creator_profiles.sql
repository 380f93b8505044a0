-- Per creator and day they posted: their profile as read that day (raw.creators), their videos and
-- reach (each video once across hashtags), the brands they mentioned in their own words and their
-- net stance. Creators of whom no profile was read keep null profile columns.
with videos as (
    select
        day,
        creator,
        count(*) as videos,
        sum(view_count) as reach,
        sum(engagement) as engagement
    from {{ ref('int_videos_deduplicated') }}
    where {{ partition_window('day') }} and creator is not null
    group by day, creator
),

profiles as (
    select * from {{ ref('stg_creators') }}
    where {{ partition_window('day') }}
),

stances as (
    select
        day,
        creator,
        string_agg(brand, ', ' order by {{ bytewise("brand") }}) as brands_mentioned,
        sum(mentions) as own_mentions,
        sum(positive_mentions) as positive_mentions,
        sum(negative_mentions) as negative_mentions,
        count(*) filter (where stance > 0) as brands_positive,
        count(*) filter (where stance < 0) as brands_negative
    from {{ ref('int_creator_brand_stance_daily') }}
    where {{ partition_window('day') }}
    group by day, creator
)

select
    v.day,
    v.creator,
    p.display_name,
    p.is_verified,
    cast(p.follower_count as bigint) as follower_count,
    cast(p.following_count as bigint) as following_count,
    cast(p.likes_count as bigint) as likes_count,
    cast(p.video_count as bigint) as profile_video_count,
    cast(v.videos as bigint) as videos,
    cast(v.reach as bigint) as reach,
    cast(v.engagement as bigint) as engagement,
    s.brands_mentioned,
    cast(coalesce(s.own_mentions, 0) as bigint) as own_mentions,
    cast(coalesce(s.positive_mentions, 0) as bigint) as positive_mentions,
    cast(coalesce(s.negative_mentions, 0) as bigint) as negative_mentions,
    cast(coalesce(s.brands_positive, 0) as bigint) as brands_positive,
    cast(coalesce(s.brands_negative, 0) as bigint) as brands_negative
from videos as v
left join profiles as p on v.day = p.day and v.creator = p.creator
left join stances as s on v.day = s.day and v.creator = s.creator
