-- The videos taking part in each campaign: created between its start and end day and carrying its
-- hashtag, whichever tracked hashtag they were collected under (a video collected under two is one
-- participant), with their largest collected counts. Every day, as the intermediate views are.
with carried as (
    -- Every hashtag a collected video carries, the one it was collected under included.
    select
        day,
        video_id,
        hashtag as tag
    from {{ ref('stg_videos') }}
    union
    select
        day,
        video_id,
        unnest(hashtags) as tag
    from {{ ref('stg_videos') }}
)

select distinct
    c.campaign,
    c.brand,
    v.day,
    v.video_id,
    v.creator,
    v.view_count,
    v.engagement
from {{ ref('stg_campaigns') }} as c
inner join carried as t on c.hashtag = t.tag and t.day between c.start_day and c.end_day
inner join {{ ref('int_videos_deduplicated') }} as v on t.day = v.day and t.video_id = v.video_id
