select
    hashtag,
    day,
    stage,
    item,
    reason
from {{ source('raw', 'quarantine') }}
