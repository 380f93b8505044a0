-- Per day and brand, the creators whose videos mention the brand, ranked by reach. Each video
-- and mention counts once, even when the video was collected under two tracked hashtags.
-- Videos without a known creator are left out.
with mentions as (
    select
        day,
        brand,
        video_id,
        sentiment_label
    from {{ ref('int_brand_mentions_deduplicated') }}
    where {{ partition_window('day') }}
),

videos as (
    select
        day,
        video_id,
        creator,
        view_count,
        engagement
    from {{ ref('int_videos_deduplicated') }}
    where {{ partition_window('day') }}
),

per_video as (
    select
        day,
        brand,
        video_id,
        count(*) as mentions,
        count(*) filter (where sentiment_label = 'positive') as positive_mentions,
        count(*) filter (where sentiment_label = 'negative') as negative_mentions,
        count(sentiment_label) as labelled_mentions
    from mentions
    group by day, brand, video_id
),

per_creator as (
    select
        p.day,
        p.brand,
        v.creator,
        count(*) as mentioning_videos,
        sum(p.mentions) as mentions,
        sum(v.view_count) as reach,
        sum(v.engagement) as engagement,
        sum(p.positive_mentions) as positive_mentions,
        sum(p.negative_mentions) as negative_mentions,
        sum(p.labelled_mentions) as labelled_mentions
    from per_video as p
    inner join videos as v on p.day = v.day and p.video_id = v.video_id
    where v.creator is not null
    group by p.day, p.brand, v.creator
)

select
    day,
    brand,
    creator,
    cast(row_number() over (
        partition by day, brand order by reach desc, mentions desc, {{ bytewise("creator") }} asc
    ) as bigint) as rank_by_reach,
    cast(mentioning_videos as bigint) as mentioning_videos,
    cast(mentions as bigint) as mentions,
    cast(reach as bigint) as reach,
    cast(engagement as bigint) as engagement,
    case when reach > 0 then cast(engagement as double precision) / reach end as engagement_rate,
    cast(positive_mentions as bigint) as positive_mentions,
    cast(negative_mentions as bigint) as negative_mentions,
    case
        when labelled_mentions > 0
            then cast(positive_mentions - negative_mentions as double precision) / labelled_mentions
    end as net_sentiment
from per_creator
