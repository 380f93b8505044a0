-- Per campaign (the catalog's, stg_campaigns) and calendar day from its start to its end or the last
-- collected day, whichever is first: the videos created that day that carry the campaign's hashtag
-- (collected under any tracked hashtag, each video once), their creators, views and engagement, the
-- views all the campaign's videos gained that day (video_growth), the brand's mentions in them with
-- their sentiment and their share of all the brand's mentions that day, and the running totals
-- against the target. A day without videos is a row of zeros, not a missing row. Running totals read
-- every earlier day of the campaign, so this mart is a table rebuilt whole by every build, from the
-- small tables built per window (int_campaign_videos, int_brand_mentions_daily).
{{ config(materialized='table') }}

with campaigns as (
    select * from {{ ref('stg_campaigns') }}
),

collected as (
    select max(day) as last_day
    from {{ ref('int_collected_days') }}
),

spine as (
    select
        c.campaign,
        cast(g.d as date) as day
    from campaigns as c
    cross join collected as l
    cross join
        generate_series(
            cast(c.start_day as timestamp),
            cast(case when l.last_day < c.end_day then l.last_day else c.end_day end as timestamp),
            interval '1 day'
        ) as g (d)
    where l.last_day is not null
),

campaign_videos as (
    select * from {{ ref('int_campaign_videos') }}
),

participation as (
    select
        campaign,
        day,
        count(*) as videos,
        count(distinct creator) as creators,
        sum(view_count) as views,
        sum(engagement) as engagement,
        sum(brand_mentions) as brand_mentions,
        sum(positive_mentions) as positive_mentions,
        sum(neutral_mentions) as neutral_mentions,
        sum(negative_mentions) as negative_mentions
    from campaign_videos
    group by campaign, day
),

first_seen_creators as (
    select
        campaign,
        creator,
        min(day) as day
    from campaign_videos
    where creator is not null
    group by campaign, creator
),

new_creators as (
    select
        campaign,
        day,
        count(*) as new_creators
    from first_seen_creators
    group by campaign, day
),

growth as (
    select
        cv.campaign,
        g.observed_on as day,
        sum(coalesce(g.views_gained, 0)) as views_gained
    from campaign_videos as cv
    inner join {{ ref('video_growth') }} as g on cv.day = g.day and cv.video_id = g.video_id
    group by cv.campaign, g.observed_on
),

daily as (
    select
        c.campaign,
        c.brand,
        c.hashtag,
        c.start_day,
        c.end_day,
        c.target_metric,
        c.target_value,
        s.day,
        cast(s.day - c.start_day as integer) + 1 as campaign_day,
        cast(c.end_day - c.start_day as integer) + 1 as campaign_days,
        coalesce(p.videos, 0) as videos,
        coalesce(p.creators, 0) as creators,
        coalesce(n.new_creators, 0) as new_creators,
        coalesce(p.views, 0) as views,
        coalesce(p.engagement, 0) as engagement,
        coalesce(g.views_gained, 0) as views_gained,
        coalesce(p.brand_mentions, 0) as brand_mentions,
        coalesce(p.positive_mentions, 0) as positive_mentions,
        coalesce(p.neutral_mentions, 0) as neutral_mentions,
        coalesce(p.negative_mentions, 0) as negative_mentions,
        coalesce(b.mentions, 0) as all_brand_mentions
    from spine as s
    inner join campaigns as c on s.campaign = c.campaign
    left join participation as p on s.campaign = p.campaign and s.day = p.day
    left join new_creators as n on s.campaign = n.campaign and s.day = n.day
    left join growth as g on s.campaign = g.campaign and s.day = g.day
    left join {{ ref('int_brand_mentions_daily') }} as b on c.brand = b.brand and s.day = b.day
),

running as (
    select
        *,
        sum(videos) over (partition by campaign order by day rows unbounded preceding) as cumulative_videos,
        sum(new_creators) over (partition by campaign order by day rows unbounded preceding) as cumulative_creators,
        sum(views) over (partition by campaign order by day rows unbounded preceding) as cumulative_views,
        sum(brand_mentions) over (
            partition by campaign order by day rows unbounded preceding
        ) as cumulative_mentions
    from daily
),

scored as (
    select
        *,
        case target_metric
            when 'videos' then cumulative_videos
            when 'views' then cumulative_views
            when 'creators' then cumulative_creators
            when 'mentions' then cumulative_mentions
        end as target_cumulative
    from running
)

select
    campaign,
    brand,
    hashtag,
    start_day,
    end_day,
    day,
    campaign_day,
    campaign_days,
    cast(videos as bigint) as videos,
    cast(creators as bigint) as creators,
    cast(new_creators as bigint) as new_creators,
    cast(views as bigint) as views,
    cast(engagement as bigint) as engagement,
    cast(views_gained as bigint) as views_gained,
    cast(brand_mentions as bigint) as brand_mentions,
    cast(positive_mentions as bigint) as positive_mentions,
    cast(neutral_mentions as bigint) as neutral_mentions,
    cast(negative_mentions as bigint) as negative_mentions,
    case
        when positive_mentions + neutral_mentions + negative_mentions > 0
            then cast(positive_mentions - negative_mentions as double precision)
                / (positive_mentions + neutral_mentions + negative_mentions)
    end as net_sentiment,
    cast(all_brand_mentions as bigint) as all_brand_mentions,
    case
        when all_brand_mentions > 0 then cast(brand_mentions as double precision) / all_brand_mentions
    end as share_of_brand_mentions,
    cast(cumulative_videos as bigint) as cumulative_videos,
    cast(cumulative_creators as bigint) as cumulative_creators,
    cast(cumulative_views as bigint) as cumulative_views,
    cast(cumulative_mentions as bigint) as cumulative_mentions,
    target_metric,
    cast(target_value as bigint) as target_value,
    cast(target_cumulative as bigint) as target_cumulative,
    case
        when target_value > 0 then cast(target_cumulative as double precision) / target_value
    end as progress,
    -- progress >= campaign_day / campaign_days, in whole numbers (no rounding at the boundary)
    case
        when target_value > 0 then target_cumulative * campaign_days >= cast(campaign_day as bigint) * target_value
    end as on_track
from scored
