-- Brand switchers: a creator positive on brand A (a day their stance on it was above 0), and later
-- positive on a competitor B of the same group, never positive on A again after their first positive
-- day on B. One row per creator, A and B. A switch reads the creator's whole history, so this mart
-- is a table rebuilt by every build, not a window of days.
{{ config(materialized='table') }}

with positive as (
    select
        creator,
        brand,
        competitor_group,
        min(day) as first_positive_day,
        max(day) as last_positive_day,
        count(*) as positive_days
    from {{ ref('int_creator_brand_stance_daily') }}
    where stance > 0
    group by creator, brand, competitor_group
),

latest_profile as (
    select
        creator,
        follower_count,
        is_verified,
        row_number() over (partition by creator order by day desc) as latest_first
    from {{ ref('stg_creators') }}
)

select
    a.creator,
    a.competitor_group,
    a.brand as from_brand,
    b.brand as to_brand,
    a.first_positive_day as first_positive_day_on_from,
    a.last_positive_day as last_positive_day_on_from,
    b.first_positive_day as first_positive_day_on_to,
    cast(a.positive_days as bigint) as positive_days_on_from,
    cast(b.positive_days as bigint) as positive_days_on_to,
    cast(p.follower_count as bigint) as follower_count,
    p.is_verified
from positive as a
inner join positive as b
    on
        a.creator = b.creator
        and a.competitor_group = b.competitor_group
        and a.brand != b.brand
        and a.last_positive_day < b.first_positive_day
left join latest_profile as p on a.creator = p.creator and p.latest_first = 1
