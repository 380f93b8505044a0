-- Every count of brand_daily_metrics is a group by on mention_evidence, per brand, day and hashtag:
-- returns the rows where one of them differs, or that one side lacks (the days the build rebuilt).
with evidence as (
    select
        brand,
        day,
        hashtag,
        count(*) as mentions,
        count(distinct video_id) as mentioning_videos,
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
        count(*) filter (where sentiment_label = 'negative') as negative_mentions
    from {{ ref('mention_evidence') }}
    where {{ partition_window('day') }}
    group by brand, day, hashtag
),

evidence_reach as (
    select
        brand,
        day,
        hashtag,
        sum(view_count) as reach
    from (
        select distinct
            brand,
            day,
            hashtag,
            video_id,
            view_count
        from {{ ref('mention_evidence') }}
        where {{ partition_window('day') }}
    ) as mentioning_videos
    group by brand, day, hashtag
),

metrics as (
    select * from {{ ref('brand_daily_metrics') }}
    where {{ partition_window('day') }}
)

select
    coalesce(e.brand, m.brand) as brand,
    coalesce(e.day, m.day) as mention_day,
    coalesce(e.hashtag, m.hashtag) as hashtag,
    e.mentions as evidence_mentions,
    m.mentions as metric_mentions
from evidence as e
full outer join metrics as m on e.brand = m.brand and e.day = m.day and e.hashtag = m.hashtag
left join evidence_reach as r on e.brand = r.brand and e.day = r.day and e.hashtag = r.hashtag
where
    e.brand is null
    or m.brand is null
    or e.mentions != m.mentions
    or e.mentioning_videos != m.mentioning_videos
    or e.speech_mentions != m.speech_mentions
    or e.caption_mentions != m.caption_mentions
    or e.logo_mentions != m.logo_mentions
    or e.description_mentions != m.description_mentions
    or e.hashtag_mentions != m.hashtag_mentions
    or e.comment_mentions != m.comment_mentions
    or e.sticker_mentions != m.sticker_mentions
    or e.effect_mentions != m.effect_mentions
    or e.handle_mentions != m.handle_mentions
    or e.positive_mentions != m.positive_mentions
    or e.negative_mentions != m.negative_mentions
    or r.reach != m.reach
