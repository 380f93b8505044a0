select
    brand,
    competitor_group,
    aliases,
    hashtags
from {{ source('raw', 'brands') }}
