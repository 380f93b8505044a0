-- One row per video per tracked hashtag and day, typed and named for analysis.
select
    hashtag,
    day,
    video_id,
    source,
    creator,
    created_at,
    description,
    hashtags,
    region,
    coalesce(view_count, 0) as view_count,
    coalesce(like_count, 0) as like_count,
    coalesce(comment_count, 0) as comment_count,
    coalesce(share_count, 0) as share_count,
    coalesce(like_count, 0) + coalesce(comment_count, 0) + coalesce(share_count, 0) as engagement,
    duration_s,
    media_uri,
    media_error,
    media_uri is not null as has_media
from {{ source('raw', 'videos') }}
