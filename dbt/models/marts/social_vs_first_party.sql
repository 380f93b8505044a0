-- Do complaints lead returns? Per brand, first-party region and metric, and social series (mentions,
-- negative mentions): the Pearson correlation between the social count on day D and the metric on
-- day D + lag, for each lag of 0..first_party_max_lag_days, over the collected days D (0 mentions on
-- a day without any) whose D + lag has a first-party number. The whole series is read at once, so
-- this mart is a table rebuilt by every build, not a window of days.
{{ config(materialized='table') }}

with daily as (
    select * from {{ ref('int_first_party_social_daily') }}
),

social as (
    select
        brand,
        region,
        metric,
        day,
        'mentions' as social_series,
        cast(mentions as double precision) as social_value
    from daily
    union all
    select
        brand,
        region,
        metric,
        day,
        'negative_mentions' as social_series,
        cast(negative_mentions as double precision) as social_value
    from daily
),

lags as (
    select cast(g.lag_days as integer) as lag_days
    from generate_series(0, {{ var('first_party_max_lag_days') | int }}) as g (lag_days)
),

pairs as (
    select
        s.brand,
        s.region,
        s.metric,
        s.social_series,
        l.lag_days,
        s.day,
        s.social_value,
        f.value as metric_value
    from social as s
    cross join lags as l
    inner join {{ ref('stg_first_party_daily') }} as f
        on
            s.brand = f.brand
            and s.region = f.region
            and s.metric = f.metric
            and s.day + l.lag_days = f.day
),

stats as (
    select
        brand,
        region,
        metric,
        social_series,
        lag_days,
        count(*) as day_pairs,
        min(day) as first_day,
        max(day) as last_day,
        corr(social_value, metric_value) as pearson,
        var_pop(social_value) as social_variance,
        var_pop(metric_value) as metric_variance
    from pairs
    group by brand, region, metric, social_series, lag_days
),

scored as (
    select
        *,
        case
            when
                day_pairs >= {{ var('first_party_min_day_pairs') | int }}
                and social_variance > 0
                and metric_variance > 0
                then pearson
        end as correlation
    from stats
)

select
    brand,
    region,
    metric,
    social_series,
    lag_days,
    cast(day_pairs as bigint) as day_pairs,
    first_day,
    last_day,
    cast(correlation as double precision) as correlation,
    coalesce(
        correlation is not null
        and row_number() over (
            partition by brand, region, metric, social_series
            order by correlation desc nulls last, lag_days asc
        ) = 1,
        false
    ) as is_best_lag
from scored
