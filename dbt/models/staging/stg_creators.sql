-- Each creator's profile once per day: a creator posting under two tracked hashtags has a row in
-- each partition, copied from one read (lib/sources/creators.py); the latest read wins, then the
-- byte-wise first hashtag.
with copies as (
    select
        day,
        creator,
        display_name,
        bio_description,
        is_verified,
        follower_count,
        following_count,
        likes_count,
        video_count,
        fetched_at,
        row_number() over (
            partition by day, creator order by fetched_at desc, {{ bytewise("hashtag") }}
        ) as copy_no
    from {{ source('raw', 'creators') }}
)

select
    day,
    creator,
    display_name,
    bio_description,
    coalesce(is_verified, false) as is_verified,
    follower_count,
    following_count,
    likes_count,
    video_count,
    fetched_at
from copies
where copy_no = 1
