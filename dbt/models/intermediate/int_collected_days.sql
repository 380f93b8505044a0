-- The days on which videos were collected for each tracked hashtag: what trailing baselines count
-- (a day nobody collected is no evidence of silence).
select distinct
    hashtag,
    day
from {{ ref('stg_videos') }}
