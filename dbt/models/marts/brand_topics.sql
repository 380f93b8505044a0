{%- set top_n = var('topic_top_n') | int %}
-- What people talk about when they mention a brand: per brand and day, the top hashtags on its
-- mentioning videos (not the tracked hashtags, nor tags naming the brand), the caption phrases on
-- screen in them, and the keywords said in them (text_units.keywords of speech), each counted in
-- videos, each video once across hashtags; the topic_top_n of each kind.
with mentioning as (
    select distinct
        day,
        brand,
        video_id
    from {{ ref('int_brand_mentions_deduplicated') }}
    where {{ partition_window('day') }}
),

names as (
    -- A brand's names as one folded string: a topic that is part of it names the brand, not a topic.
    select
        brand,
        lower(brand || '|' || array_to_string(aliases, '|')) as spaced,
        replace(lower(brand || '|' || array_to_string(aliases, '|')), ' ', '') as solid
    from {{ ref('stg_brands') }}
),

tracked as (
    select distinct hashtag
    from {{ ref('int_collected_days') }}
),

tags as (
    select distinct
        day,
        video_id,
        unnest(hashtags) as topic
    from {{ ref('stg_videos') }}
    where {{ partition_window('day') }}
),

units as (
    select distinct
        day,
        video_id,
        origin,
        unit_id,
        text,
        keywords
    from {{ source('raw', 'text_units') }}
    where {{ partition_window('day') }} and origin in ('speech', 'caption')
),

spoken as (
    select distinct
        day,
        video_id,
        unnest(keywords) as topic
    from units
    where origin = 'speech'
),

shown as (
    select distinct
        day,
        video_id,
        lower(trim(text)) as topic
    from units
    where origin = 'caption'
),

topics as (
    select
        m.brand,
        m.day,
        'hashtag' as topic_kind,
        t.topic,
        m.video_id
    from mentioning as m
    inner join tags as t on m.day = t.day and m.video_id = t.video_id
    where t.topic not in (select tracked.hashtag from tracked)
    union all
    select
        m.brand,
        m.day,
        'speech' as topic_kind,
        s.topic,
        m.video_id
    from mentioning as m
    inner join spoken as s on m.day = s.day and m.video_id = s.video_id
    union all
    select
        m.brand,
        m.day,
        'caption' as topic_kind,
        c.topic,
        m.video_id
    from mentioning as m
    inner join shown as c on m.day = c.day and m.video_id = c.video_id
),

counted as (
    select
        t.brand,
        t.day,
        t.topic_kind,
        t.topic,
        count(distinct t.video_id) as videos
    from topics as t
    inner join names as n on t.brand = n.brand
    where
        t.topic is not null and t.topic <> ''
        -- a topic that is (part of) the brand's own name: the logo's wordmark read as a caption, #mokkamia
        and strpos(n.spaced, t.topic) = 0 and strpos(n.solid, t.topic) = 0
    group by t.brand, t.day, t.topic_kind, t.topic
),

ranked as (
    select
        brand,
        day,
        topic_kind,
        topic,
        videos,
        row_number() over (
            partition by brand, day, topic_kind order by videos desc, {{ bytewise("topic") }}
        ) as topic_rank
    from counted
),

brand_videos as (
    select
        brand,
        day,
        count(*) as mentioning_videos
    from mentioning
    group by brand, day
)

select
    r.brand,
    r.day,
    r.topic_kind,
    cast(r.topic_rank as integer) as topic_rank,
    r.topic,
    cast(r.videos as bigint) as videos,
    cast(b.mentioning_videos as bigint) as mentioning_videos,
    cast(r.videos as double precision) / b.mentioning_videos as video_share
from ranked as r
inner join brand_videos as b on r.brand = b.brand and r.day = b.day
where r.topic_rank <= {{ top_n }}
