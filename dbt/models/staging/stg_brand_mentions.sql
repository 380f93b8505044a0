-- Brand mentions of the videos the partition holds now: a re-collection that drops a video takes its
-- mentions with it, even before the partition's enrichment runs again.
select
    mentions.hashtag,
    mentions.day,
    mentions.mention_id,
    mentions.video_id,
    mentions.brand,
    mentions.origin,
    mentions.unit_id,
    mentions.matched_text,
    mentions.t_s,
    mentions.end_s,
    mentions.thumbnail_uri,
    mentions.confidence,
    mentions.match_rule,
    mentions.sentiment_label,
    mentions.sentiment_polarity
from {{ source('raw', 'brand_mentions') }} as mentions
where exists (
        select 1
        from {{ source('raw', 'videos') }} as videos
        where
            videos.hashtag = mentions.hashtag
            and videos.day = mentions.day
            and videos.video_id = mentions.video_id
    )
