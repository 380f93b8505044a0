-- Screen time per brand and day: the seconds its logo was on screen, and its share of its competitor
-- group's screen time, beside its share of mentions. A brand's seconds in a video are the union of its
-- logo appearances there (two appearances at once, two places in one frame, count once), and a video
-- collected under two hashtags counts once. Every brand of a group with screen time that day has a
-- row (0 when its logo was not seen), so a group's screen shares sum to 1.
with appearances as (
    select distinct
        day,
        video_id,
        brand,
        t_s as start_s,
        greatest(coalesce(end_s, t_s), t_s) as end_s
    from {{ ref('stg_brand_mentions') }}
    where {{ partition_window('day') }} and origin = 'logo' and t_s is not null
),

ordered as (
    select
        day,
        video_id,
        brand,
        start_s,
        end_s,
        max(end_s) over (
            partition by day, video_id, brand
            order by start_s, end_s
            rows between unbounded preceding and 1 preceding
        ) as covered_until
    from appearances
),

spans as (
    select
        day,
        video_id,
        brand,
        start_s,
        end_s,
        sum(case when covered_until is null or start_s > covered_until then 1 else 0 end) over (
            partition by day, video_id, brand
            order by start_s, end_s
            rows between unbounded preceding and current row
        ) as span_no
    from ordered
),

on_screen as (
    select
        day,
        video_id,
        brand,
        max(end_s) - min(start_s) as seconds
    from spans
    group by day, video_id, brand, span_no
),

screen as (
    select
        day,
        brand,
        sum(seconds) as screen_seconds,
        count(distinct video_id) as videos_with_logo
    from on_screen
    group by day, brand
),

appearance_counts as (
    select
        day,
        brand,
        count(*) as logo_appearances
    from appearances
    group by day, brand
),

brands as (
    select
        brand,
        competitor_group
    from {{ ref('stg_brands') }}
),

groups_seen as (
    select distinct
        s.day,
        b.competitor_group
    from screen as s
    inner join brands as b on s.brand = b.brand
),

per_brand as (
    select
        g.day,
        g.competitor_group,
        b.brand,
        coalesce(s.screen_seconds, 0) as screen_seconds,
        coalesce(s.videos_with_logo, 0) as videos_with_logo,
        coalesce(a.logo_appearances, 0) as logo_appearances
    from groups_seen as g
    inner join brands as b on g.competitor_group = b.competitor_group
    left join screen as s on g.day = s.day and b.brand = s.brand
    left join appearance_counts as a on g.day = a.day and b.brand = a.brand
),

voice as (
    select
        day,
        brand,
        share_of_voice
    from {{ ref('share_of_voice') }}
    where {{ partition_window('day') }}
),

with_group as (
    select
        p.day,
        p.competitor_group,
        p.brand,
        p.screen_seconds,
        p.logo_appearances,
        p.videos_with_logo,
        sum(p.screen_seconds) over (partition by p.day, p.competitor_group) as group_screen_seconds,
        coalesce(v.share_of_voice, 0) as share_of_voice
    from per_brand as p
    left join voice as v on p.day = v.day and p.brand = v.brand
)

select
    day,
    cast(competitor_group as text) as competitor_group,
    cast(brand as text) as brand,
    cast(screen_seconds as double precision) as screen_seconds,
    cast(logo_appearances as bigint) as logo_appearances,
    cast(videos_with_logo as bigint) as videos_with_logo,
    cast(group_screen_seconds as double precision) as group_screen_seconds,
    case
        when group_screen_seconds > 0 then cast(screen_seconds as double precision) / group_screen_seconds
    end as screen_share,
    cast(share_of_voice as double precision) as share_of_voice
from with_group
