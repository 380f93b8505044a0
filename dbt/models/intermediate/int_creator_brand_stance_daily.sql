-- A creator's stance on a brand per day: the net sentiment of the brand's mentions in what the
-- creator said, showed and wrote (speech, captions, logos, description, hashtags), each mention once
-- across hashtags. Comments are left out: commenters are other people. A table built per partition
-- window (dbt_project.yml): creator_brand_switches reads every day of it. The brand's competitor
-- group is not kept here but joined by its readers, so a regrouped catalog shows at once.
with own as (
    select
        m.day,
        v.creator,
        m.brand,
        m.video_id,
        m.sentiment_label
    from {{ ref('int_brand_mentions_deduplicated') }} as m
    inner join {{ ref('int_videos_deduplicated') }} as v on m.day = v.day and m.video_id = v.video_id
    where
        m.origin != 'comment' and v.creator is not null
        -- The window on both sides: the join does not carry it into the grouping view of videos.
        and {{ partition_window('m.day') }} and {{ partition_window('v.day') }}
        and m.brand in (select b.brand from {{ ref('stg_brands') }} as b)
)

select
    day,
    creator,
    brand,
    count(distinct video_id) as videos,
    count(*) as mentions,
    count(*) filter (where sentiment_label = 'positive') as positive_mentions,
    count(*) filter (where sentiment_label = 'negative') as negative_mentions,
    case
        when count(sentiment_label) > 0
            then cast(
                    count(*) filter (where sentiment_label = 'positive')
                    - count(*) filter (where sentiment_label = 'negative') as double precision
                ) / count(sentiment_label)
    end as stance
from own
group by day, creator, brand
