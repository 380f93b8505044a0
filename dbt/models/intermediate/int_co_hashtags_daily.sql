-- Per tracked hashtag and day, the other hashtags on its videos (co-hashtags): how many of the
-- tracked hashtag's videos carry each, and their views.
with tagged as (
    select distinct
        v.hashtag,
        v.day,
        v.video_id,
        v.view_count,
        t.co_hashtag
    from {{ ref('stg_videos') }} as v
    cross join unnest(v.hashtags) as t (co_hashtag)
    where t.co_hashtag is not null and t.co_hashtag <> '' and t.co_hashtag <> v.hashtag
)

select
    hashtag,
    day,
    co_hashtag,
    count(*) as videos,
    sum(view_count) as views
from tagged
group by hashtag, day, co_hashtag
