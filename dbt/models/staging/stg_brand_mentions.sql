select
    hashtag,
    day,
    mention_id,
    video_id,
    brand,
    origin,
    unit_id,
    matched_text,
    t_s,
    confidence,
    sentiment_label,
    sentiment_polarity
from {{ source('raw', 'brand_mentions') }}
