-- Each brand mention once per day. A video collected under two tracked hashtags is in both
-- hashtags' partitions with the same mention_id (ids come from the video and the text, not the
-- hashtag): keep the copy of the alphabetically first hashtag (byte order on every engine).
with copies as (
    select
        day,
        mention_id,
        video_id,
        brand,
        origin,
        sentiment_label,
        row_number() over (
            partition by day, mention_id order by {{ bytewise("hashtag") }}
        ) as copy_no
    from {{ ref('stg_brand_mentions') }}
)

select
    day,
    mention_id,
    video_id,
    brand,
    origin,
    sentiment_label
from copies
where copy_no = 1
