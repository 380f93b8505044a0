-- share_of_voice counts a mention once across hashtags: its mentions and mentioning videos per brand and
-- day are distinct mention_ids and video_ids of mention_evidence. Returns the brands and days that differ.
with evidence as (
    select
        brand,
        day,
        count(distinct mention_id) as mentions,
        count(distinct video_id) as mentioning_videos
    from {{ ref('mention_evidence') }}
    where {{ partition_window('day') }}
    group by brand, day
),

voice as (
    select * from {{ ref('share_of_voice') }}
    where {{ partition_window('day') }} and mentions > 0
)

select
    coalesce(e.brand, v.brand) as brand,
    coalesce(e.day, v.day) as mention_day,
    e.mentions as evidence_mentions,
    v.mentions as share_of_voice_mentions
from evidence as e
full outer join voice as v on e.brand = v.brand and e.day = v.day
where
    e.brand is null
    or v.brand is null
    or e.mentions != v.mentions
    or e.mentioning_videos != v.mentioning_videos
