select
    hashtag,
    day,
    comment_id,
    video_id,
    parent_comment_id,
    parent_comment_id = video_id as is_top_level,
    text,
    coalesce(like_count, 0) as like_count,
    coalesce(reply_count, 0) as reply_count,
    created_at
from {{ source('raw', 'comments') }}
