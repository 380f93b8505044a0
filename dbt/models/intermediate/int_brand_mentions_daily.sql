-- A brand's totals per day over all tracked hashtags, each mention counted once. A table built per
-- partition window (dbt_project.yml): brand_alerts' baselines and campaign_performance read its days.
select
    brand,
    day,
    count(*) as mentions,
    count(*) filter (where sentiment_label = 'negative') as negative_mentions,
    count(sentiment_label) as labelled_mentions
from {{ ref('int_brand_mentions_deduplicated') }}
where {{ partition_window('day') }}
group by brand, day
