-- Brand switchers: a creator positive on brand A (a day their stance on it was above 0), and later
-- positive on a competitor B of the same group, never positive on A again after their first positive
-- day on B. One row per creator, A and B. A switch reads the creator's whole history, so this mart
-- is a table rebuilt by every build from the small daily stance table, with the catalog's groups as
-- they are now.
{{ config(materialized='table') }}

with positive as (
    select
        s.creator,
        s.brand,
        b.competitor_group,
        min(s.day) as first_positive_day,
        max(s.day) as last_positive_day,
        count(*) as positive_days
    from {{ ref('int_creator_brand_stance_daily') }} as s
    inner join {{ ref('stg_brands') }} as b on s.brand = b.brand
    where s.stance > 0
    group by s.creator, s.brand, b.competitor_group
),

switches as (
    select
        a.creator,
        a.competitor_group,
        a.brand as from_brand,
        b.brand as to_brand,
        a.first_positive_day as first_positive_day_on_from,
        a.last_positive_day as last_positive_day_on_from,
        b.first_positive_day as first_positive_day_on_to,
        a.positive_days as positive_days_on_from,
        b.positive_days as positive_days_on_to
    from positive as a
    inner join positive as b
        on
            a.creator = b.creator
            and a.competitor_group = b.competitor_group
            and a.brand != b.brand
            and a.last_positive_day < b.first_positive_day
),

latest_profile as (
    -- The profile read on the last day the creator posted. creator_profiles' is_verified is null only
    -- where no profile was read that day (stg_creators makes it false, never null, for a read profile).
    select
        creator,
        follower_count,
        is_verified,
        row_number() over (partition by creator order by day desc) as latest_first
    from {{ ref('creator_profiles') }}
    where is_verified is not null and creator in (select s.creator from switches as s)
)

select
    s.creator,
    s.competitor_group,
    s.from_brand,
    s.to_brand,
    s.first_positive_day_on_from,
    s.last_positive_day_on_from,
    s.first_positive_day_on_to,
    cast(s.positive_days_on_from as bigint) as positive_days_on_from,
    cast(s.positive_days_on_to as bigint) as positive_days_on_to,
    cast(p.follower_count as bigint) as follower_count,
    p.is_verified
from switches as s
left join latest_profile as p on s.creator = p.creator and p.latest_first = 1
