-- An alert's mentions and negative mentions (a mention once across hashtags) are distinct mention_ids of
-- mention_evidence on its brand and day: the evidence behind an alert is all there. Returns alerts that differ.
with evidence as (
    select
        brand,
        day,
        count(distinct mention_id) as mentions,
        count(distinct mention_id) filter (where sentiment_label = 'negative') as negative_mentions
    from {{ ref('mention_evidence') }}
    where {{ partition_window('day') }}
    group by brand, day
)

select
    a.alert_id,
    a.brand,
    a.day,
    a.mentions,
    e.mentions as evidence_mentions
from {{ ref('brand_alerts') }} as a
left join evidence as e on a.brand = e.brand and a.day = e.day
where
    {{ partition_window('a.day') }}
    and (
        e.brand is null
        or a.mentions != e.mentions
        or a.negative_mentions != e.negative_mentions
    )
