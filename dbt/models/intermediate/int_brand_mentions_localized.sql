-- Each brand mention once per day (the copy of the alphabetically first hashtag, as in
-- int_brand_mentions_deduplicated), with where and in what language it was said: the region of its
-- video, and the language of its text unit (speech: the speech model's; written text: detected),
-- else its video's (its speech, else its description), else 'und' (undetermined). A mention
-- without text (a logo, a hashtag, a tagged account) speaks its video's language.
with copies as (
    select
        hashtag,
        day,
        mention_id,
        video_id,
        brand,
        origin,
        unit_id,
        sentiment_label,
        row_number() over (
            partition by day, mention_id order by {{ bytewise("hashtag") }}
        ) as copy_no
    from {{ ref('stg_brand_mentions') }}
),

units as (
    select
        hashtag,
        day,
        video_id,
        unit_id,
        origin,
        language
    from {{ source('raw', 'text_units') }}
),

video_languages as (
    select
        hashtag,
        day,
        video_id,
        coalesce(
            max(case when origin = 'speech' then language end),
            max(case when origin = 'description' then language end)
        ) as language
    from units
    group by hashtag, day, video_id
),

videos as (
    select
        hashtag,
        day,
        video_id,
        region
    from {{ ref('stg_videos') }}
)

select
    c.day,
    c.mention_id,
    c.video_id,
    c.brand,
    c.origin,
    c.sentiment_label,
    coalesce(nullif(v.region, ''), 'unknown') as region,
    coalesce(u.language, vl.language, 'und') as language
from copies as c
left join units as u on c.hashtag = u.hashtag and c.day = u.day and c.unit_id = u.unit_id
left join video_languages as vl on c.hashtag = vl.hashtag and c.day = vl.day and c.video_id = vl.video_id
left join videos as v on c.hashtag = v.hashtag and c.day = v.day and c.video_id = v.video_id
where c.copy_no = 1
