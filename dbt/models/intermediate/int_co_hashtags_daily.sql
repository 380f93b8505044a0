-- Per tracked hashtag and day, the other hashtags on its videos (co-hashtags): how many of the
-- tracked hashtag's videos carry each, and their views. The hashtags are unnested in the select
-- list, not by a lateral join, so a reader's filter on day reaches stg_videos: a one-day build
-- (or its test) reads that day's videos, not the whole history.
with tagged as (
    select distinct
        hashtag,
        day,
        video_id,
        view_count,
        unnest(hashtags) as co_hashtag
    from {{ ref('stg_videos') }}
)

select
    hashtag,
    day,
    co_hashtag,
    count(*) as videos,
    sum(view_count) as views
from tagged
where co_hashtag is not null and co_hashtag <> '' and co_hashtag <> hashtag
group by hashtag, day, co_hashtag
