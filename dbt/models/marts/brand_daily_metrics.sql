-- Per brand, day and tracked hashtag: who talks about the brand, where, how loud, and how they feel.
with mentions as (
    select * from {{ ref('stg_brand_mentions') }}
    where {{ partition_window('day') }}
),

videos as (
    select * from {{ ref('stg_videos') }}
    where {{ partition_window('day') }}
),

mentioning_videos as (
    select distinct
        m.brand,
        m.day,
        m.hashtag,
        v.video_id,
        v.creator,
        v.view_count,
        v.engagement
    from mentions as m
    inner join videos as v on m.hashtag = v.hashtag and m.day = v.day and m.video_id = v.video_id
),

reach as (
    select
        brand,
        day,
        hashtag,
        count(*) as mentioning_videos,
        count(distinct creator) as unique_creators,
        cast(sum(view_count) as bigint) as reach,
        cast(sum(engagement) as bigint) as engagement
    from mentioning_videos
    group by brand, day, hashtag
),

counts as (
    select
        brand,
        day,
        hashtag,
        count(*) as mentions,
        count(*) filter (where origin = 'speech') as speech_mentions,
        count(*) filter (where origin = 'caption') as caption_mentions,
        count(*) filter (where origin = 'logo') as logo_mentions,
        count(*) filter (where origin = 'description') as description_mentions,
        count(*) filter (where origin = 'hashtag') as hashtag_mentions,
        count(*) filter (where origin = 'comment') as comment_mentions,
        count(*) filter (where origin = 'sticker') as sticker_mentions,
        count(*) filter (where origin = 'effect') as effect_mentions,
        count(*) filter (where origin = 'handle') as handle_mentions,
        count(*) filter (where sentiment_label = 'positive') as positive_mentions,
        count(*) filter (where sentiment_label = 'neutral') as neutral_mentions,
        count(*) filter (where sentiment_label = 'negative') as negative_mentions
    from mentions
    group by brand, day, hashtag
)

select
    c.brand,
    c.day,
    c.hashtag,
    r.mentioning_videos,
    c.mentions,
    c.speech_mentions,
    c.caption_mentions,
    c.logo_mentions,
    c.description_mentions,
    c.hashtag_mentions,
    c.comment_mentions,
    r.unique_creators,
    r.reach,
    r.engagement,
    case when r.reach > 0 then cast(r.engagement as double precision) / r.reach end as engagement_rate,
    c.positive_mentions,
    c.neutral_mentions,
    c.negative_mentions,
    case
        when c.positive_mentions + c.neutral_mentions + c.negative_mentions > 0
            then cast(c.positive_mentions - c.negative_mentions as double precision)
                / (c.positive_mentions + c.neutral_mentions + c.negative_mentions)
    end as net_sentiment,
    -- Appended after the columns BI tools already read (the contract appends new columns).
    c.sticker_mentions,
    c.effect_mentions,
    c.handle_mentions
from counts as c
inner join reach as r on c.brand = r.brand and c.day = r.day and c.hashtag = r.hashtag
