-- Each observation of a video's counts, with the UTC day it was made (the session time zone
-- of a PostgreSQL client must not move it).
select
    video_id,
    collected_at,
    cast(collected_at at time zone 'UTC' as date) as observed_on,
    coalesce(view_count, 0) as view_count,
    coalesce(like_count, 0) as like_count,
    coalesce(comment_count, 0) as comment_count,
    coalesce(share_count, 0) as share_count,
    coalesce(favorites_count, 0) as favorites_count,
    coalesce(like_count, 0) + coalesce(comment_count, 0) + coalesce(share_count, 0) as engagement
from {{ source('raw', 'video_stats_snapshots') }}
