-- A brand's totals per day over all tracked hashtags, each mention counted once.
select
    brand,
    day,
    count(*) as mentions,
    count(*) filter (where sentiment_label = 'negative') as negative_mentions,
    count(sentiment_label) as labelled_mentions
from {{ ref('int_brand_mentions_deduplicated') }}
group by brand, day
