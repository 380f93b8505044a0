-- brand_daily_metrics split by where and in what language: per brand, day, region and language,
-- mentions (each once across hashtags), mentioning videos, reach and sentiment; and the brand's
-- share of voice in the region (all languages), within its competitor group.
with mentions as (
    select
        day,
        mention_id,
        video_id,
        brand,
        sentiment_label,
        region,
        language
    from {{ ref('int_brand_mentions_localized') }}
    where {{ partition_window('day') }}
),

videos as (
    select
        day,
        video_id,
        view_count
    from {{ ref('int_videos_deduplicated') }}
    where {{ partition_window('day') }}
),

brands as (
    select
        brand,
        competitor_group
    from {{ ref('stg_brands') }}
),

slices as (
    select
        brand,
        day,
        region,
        language,
        count(*) as mentions,
        count(distinct video_id) as mentioning_videos,
        count(*) filter (where sentiment_label = 'positive') as positive_mentions,
        count(*) filter (where sentiment_label = 'neutral') as neutral_mentions,
        count(*) filter (where sentiment_label = 'negative') as negative_mentions
    from mentions
    group by brand, day, region, language
),

slice_reach as (
    select
        s.brand,
        s.day,
        s.region,
        s.language,
        sum(v.view_count) as reach
    from (
        select distinct
            brand,
            day,
            region,
            language,
            video_id
        from mentions
    ) as s
    inner join videos as v on s.day = v.day and s.video_id = v.video_id
    group by s.brand, s.day, s.region, s.language
),

region_counts as (
    select
        m.brand,
        b.competitor_group,
        m.day,
        m.region,
        count(*) as region_mentions
    from mentions as m
    inner join brands as b on m.brand = b.brand
    group by m.brand, b.competitor_group, m.day, m.region
),

group_regions as (
    select
        competitor_group,
        day,
        region,
        sum(region_mentions) as group_region_mentions
    from region_counts
    group by competitor_group, day, region
)

select
    s.brand,
    s.day,
    s.region,
    s.language,
    rc.competitor_group,
    cast(s.mentions as bigint) as mentions,
    cast(s.mentioning_videos as bigint) as mentioning_videos,
    cast(coalesce(r.reach, 0) as bigint) as reach,
    cast(s.positive_mentions as bigint) as positive_mentions,
    cast(s.neutral_mentions as bigint) as neutral_mentions,
    cast(s.negative_mentions as bigint) as negative_mentions,
    case
        when s.positive_mentions + s.neutral_mentions + s.negative_mentions > 0
            then cast(s.positive_mentions - s.negative_mentions as double precision)
                / (s.positive_mentions + s.neutral_mentions + s.negative_mentions)
    end as net_sentiment,
    cast(rc.region_mentions as bigint) as region_mentions,
    cast(g.group_region_mentions as bigint) as group_region_mentions,
    cast(rc.region_mentions as double precision) / g.group_region_mentions as region_share_of_voice
from slices as s
inner join region_counts as rc on s.brand = rc.brand and s.day = rc.day and s.region = rc.region
inner join group_regions as g on rc.competitor_group = g.competitor_group and s.day = g.day and s.region = g.region
left join slice_reach as r
    on s.brand = r.brand and s.day = r.day and s.region = r.region and s.language = r.language
