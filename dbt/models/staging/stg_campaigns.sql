-- The catalog's campaigns (brands.yaml, 'campaigns'): a brand's hashtag between two days, with an
-- optional target over the whole run.
select
    campaign,
    brand,
    hashtag,
    start_day,
    end_day,
    target_metric,
    target_value
from {{ source('raw', 'campaigns') }}
