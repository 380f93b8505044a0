-- One row per brand mention with what proves it: the quote (the speech segment, caption or comment
-- the alias was found in), where in the video it happened (start and end seconds), the logo's or the
-- caption's box and a thumbnail of the frame with the box drawn, the sentiment behind it and the
-- models that produced each part, and a link to the video. Rows are per tracked hashtag, as
-- brand_mentions stores them: every count of brand_daily_metrics is a group by on these rows, and
-- share_of_voice and brand_alerts (which count a mention once across hashtags) a count of distinct
-- mention_id (dbt/tests/ prove both).
with mentions as (
    select * from {{ ref('stg_brand_mentions') }}
    where {{ partition_window('day') }}
),

videos as (
    select * from {{ ref('stg_videos') }}
    where {{ partition_window('day') }}
),

units as (
    select * from {{ source('raw', 'text_units') }}
    where {{ partition_window('day') }}
),

scores as (
    select * from {{ source('raw', 'sentiment') }}
    where {{ partition_window('day') }}
),

speech as (
    select * from {{ source('raw', 'transcripts') }}
    where {{ partition_window('day') }}
),

captions as (
    select * from {{ source('raw', 'ocr_text') }}
    where {{ partition_window('day') }}
),

logos as (
    select * from {{ source('raw', 'logo_hits') }}
    where {{ partition_window('day') }}
)

select
    m.day,
    m.hashtag,
    m.mention_id,
    m.brand,
    m.video_id,
    v.creator,
    cast(v.view_count as bigint) as view_count,
    cast('https://www.tiktok.com/@' || v.creator || '/video/' || m.video_id as text) as video_url,
    m.origin,
    u.text as quote,
    m.matched_text,
    m.match_rule,
    m.confidence,
    m.t_s as start_s,
    m.end_s,
    coalesce(l.box_x0, c.box_x0) as box_x0,
    coalesce(l.box_y0, c.box_y0) as box_y0,
    coalesce(l.box_x1, c.box_x1) as box_x1,
    coalesce(l.box_y1, c.box_y1) as box_y1,
    m.thumbnail_uri,
    m.sentiment_label,
    s.score as sentiment_score,
    m.sentiment_polarity,
    s.model as sentiment_model,
    case
        when m.origin = 'speech' and u.origin_ref = 'platform' then 'platform voice_to_text'
        else coalesce(l.model, c.model, t.model)
    end as evidence_model
from mentions as m
inner join videos as v on m.hashtag = v.hashtag and m.day = v.day and m.video_id = v.video_id
left join units as u on m.hashtag = u.hashtag and m.day = u.day and m.unit_id = u.unit_id
left join scores as s on m.hashtag = s.hashtag and m.day = s.day and m.unit_id = s.unit_id
left join speech as t
    on
        m.origin = 'speech' and m.hashtag = t.hashtag and m.day = t.day and m.video_id = t.video_id
        and u.origin_ref = cast(t.segment_no as text)
left join captions as c
    on
        m.origin = 'caption' and m.hashtag = c.hashtag and m.day = c.day and m.video_id = c.video_id
        and u.origin_ref = cast(c.span_no as text)
left join logos as l
    on
        m.origin = 'logo' and m.hashtag = l.hashtag and m.day = l.day and m.video_id = l.video_id
        and m.brand = l.brand and m.t_s = l.t_s
