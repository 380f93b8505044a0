-- Comments with the sentiment and intent flags of their text unit (unit id <video>:comment:<comment>).
-- A left join: a comment not scored yet still counts as a comment, with null labels and flags.
select
    c.hashtag,
    c.day,
    c.comment_id,
    c.video_id,
    c.text,
    coalesce(c.like_count, 0) as like_count,
    scored.label as sentiment_label,
    scored.polarity as sentiment_polarity,
    scored.purchase_intent,
    scored.complaint,
    scored.model as sentiment_model,
    scored.intent_lexicon
from {{ source('raw', 'comments') }} as c
left join {{ source('raw', 'sentiment') }} as scored
    on
        c.hashtag = scored.hashtag
        and c.day = scored.day
        and scored.unit_id = c.video_id || ':comment:' || c.comment_id
