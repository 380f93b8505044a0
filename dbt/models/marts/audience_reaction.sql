-- Per brand and day: how the audience answers the videos that mention the brand. The comments of
-- each video whose own content (speech, captions, description, hashtags, logos: anything but its
-- comments) mentions the brand, each comment once across hashtags, with its sentiment, its stance
-- towards the video's own sentiment about the brand, and its intents (purchase, complaint).
-- `day` is the video's creation day (its partition), so a comment counts on its video's day.
with own_mentions as (
    select
        day,
        video_id,
        brand,
        sentiment_label
    from {{ ref('int_brand_mentions_deduplicated') }}
    where
        {{ partition_window('day') }}
        and origin <> 'comment'
),

-- The video's own sentiment about the brand: the majority label of its own text mentions of the
-- brand (positive against negative; a tie, or only neutral or logo evidence, is neutral).
brand_videos as (
    select
        day,
        video_id,
        brand,
        case
            when
                count(*) filter (where sentiment_label = 'positive')
                > count(*) filter (where sentiment_label = 'negative')
                then 'positive'
            when
                count(*) filter (where sentiment_label = 'negative')
                > count(*) filter (where sentiment_label = 'positive')
                then 'negative'
            else 'neutral'
        end as video_sentiment
    from own_mentions
    group by day, video_id, brand
),

comment_copies as (
    select
        day,
        video_id,
        comment_id,
        text,
        like_count,
        sentiment_label,
        purchase_intent,
        complaint,
        row_number() over (
            partition by day, comment_id order by {{ bytewise("hashtag") }}
        ) as copy_no
    from {{ ref('stg_comment_sentiment') }}
    where {{ partition_window('day') }}
),

reactions as (
    select
        v.day,
        v.brand,
        v.video_id,
        c.comment_id,
        c.text,
        c.like_count,
        c.sentiment_label,
        c.purchase_intent,
        c.complaint,
        case
            when c.sentiment_label is null then null
            when c.sentiment_label = 'neutral' or v.video_sentiment = 'neutral' then 'neutral'
            when c.sentiment_label = v.video_sentiment then 'agree'
            else 'disagree'
        end as stance
    from brand_videos as v
    inner join comment_copies as c on v.day = c.day and v.video_id = c.video_id
    where c.copy_no = 1
),

top_complaints as (
    select
        day,
        brand,
        text as top_complaint,
        row_number() over (
            partition by day, brand order by like_count desc, {{ bytewise("comment_id") }}
        ) as rank_no
    from reactions
    where complaint
),

daily as (
    select
        day,
        brand,
        count(distinct video_id) as commented_videos,
        count(*) as total_comments,
        count(sentiment_label) as scored_comments,
        count(*) filter (where sentiment_label = 'positive') as positive_comments,
        count(*) filter (where sentiment_label = 'neutral') as neutral_comments,
        count(*) filter (where sentiment_label = 'negative') as negative_comments,
        count(*) filter (where stance = 'agree') as agreeing_comments,
        count(*) filter (where stance = 'disagree') as disagreeing_comments,
        count(*) filter (where stance = 'neutral') as no_stance_comments,
        count(*) filter (where purchase_intent) as purchase_intent_comments,
        count(*) filter (where complaint) as complaint_comments
    from reactions
    group by day, brand
)

select
    d.day,
    d.brand,
    cast(d.commented_videos as bigint) as commented_videos,
    cast(d.total_comments as bigint) as total_comments,
    cast(d.scored_comments as bigint) as scored_comments,
    cast(d.positive_comments as bigint) as positive_comments,
    cast(d.neutral_comments as bigint) as neutral_comments,
    cast(d.negative_comments as bigint) as negative_comments,
    cast(d.agreeing_comments as bigint) as agreeing_comments,
    cast(d.disagreeing_comments as bigint) as disagreeing_comments,
    cast(d.no_stance_comments as bigint) as no_stance_comments,
    cast(d.agreeing_comments as double precision) / nullif(d.scored_comments, 0) as agree_share,
    cast(d.disagreeing_comments as double precision) / nullif(d.scored_comments, 0) as disagree_share,
    cast(d.no_stance_comments as double precision) / nullif(d.scored_comments, 0) as no_stance_share,
    cast(
        (d.positive_comments - d.negative_comments) as double precision
    ) / nullif(d.scored_comments, 0) as net_sentiment,
    cast(d.purchase_intent_comments as bigint) as purchase_intent_comments,
    cast(d.complaint_comments as bigint) as complaint_comments,
    t.top_complaint
from daily as d
left join top_complaints as t on d.day = t.day and d.brand = t.brand and t.rank_no = 1
