-- A creator's stance on a brand per day: the net sentiment of the brand's mentions in what the
-- creator said, showed and wrote (speech, captions, logos, description, hashtags), each mention once
-- across hashtags. Comments are left out: commenters are other people.
with own as (
    select
        m.day,
        v.creator,
        m.brand,
        m.video_id,
        m.sentiment_label
    from {{ ref('int_brand_mentions_deduplicated') }} as m
    inner join {{ ref('int_videos_deduplicated') }} as v on m.day = v.day and m.video_id = v.video_id
    where m.origin != 'comment' and v.creator is not null
)

select
    o.day,
    o.creator,
    o.brand,
    b.competitor_group,
    count(distinct o.video_id) as videos,
    count(*) as mentions,
    count(*) filter (where o.sentiment_label = 'positive') as positive_mentions,
    count(*) filter (where o.sentiment_label = 'negative') as negative_mentions,
    case
        when count(o.sentiment_label) > 0
            then cast(
                    count(*) filter (where o.sentiment_label = 'positive')
                    - count(*) filter (where o.sentiment_label = 'negative') as double precision
                ) / count(o.sentiment_label)
    end as stance
from own as o
inner join {{ ref('stg_brands') }} as b on o.brand = b.brand
group by o.day, o.creator, o.brand, b.competitor_group
