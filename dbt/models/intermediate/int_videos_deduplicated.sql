-- Each collected video once per day, with the largest counts seen (a video under two tracked
-- hashtags may have been collected at two times).
select
    day,
    video_id,
    max(creator) as creator,
    max(region) as region,
    max(view_count) as view_count,
    max(engagement) as engagement
from {{ ref('stg_videos') }}
group by day, video_id
