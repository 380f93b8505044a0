-- A brand team's own daily numbers (sales, orders, returns, tickets...) per brand, region and day.
-- They come from the team's table, the source first_party.daily, once the var first_party_daily is
-- 'source'; until then from the sample seed first_party_daily_sample, so the demo needs no setup.
{%- set origin = var('first_party_daily') %}
{%- if origin not in ('sample', 'source') %}
    {{ exceptions.raise_compiler_error("var first_party_daily must be 'sample' or 'source', not " ~ origin) }}
{%- endif %}

select
    cast(day as date) as day,
    cast(brand as text) as brand,
    cast(region as text) as region,
    cast(metric as text) as metric,
    cast(value as double precision) as value
{%- if origin == 'source' %}
    from {{ source('first_party', 'daily') }}
{%- else %}
    from {{ ref('first_party_daily_sample') }}
{%- endif %}
where value is not null
