{%- set lookback = var('alert_baseline_days') | int %}
{%- set min_baseline_days = var('alert_min_baseline_days') | int %}
-- Days on which a brand's mentions or negative share jumped beyond its own trailing baseline:
-- one row per brand and day with at least one reason. Column contract used by the alert sensor
-- (ALERT_COLUMNS in the Python package): change it only together with the sensor.
--
-- A brand's day totals count each mention once across tracked hashtags. The baseline is the
-- collected days (days with any video collected) among the alert_baseline_days calendar
-- days before, from the day the brand is watched on (its first mention, or the first day all its
-- own hashtags are collected, whichever is later), with 0 mentions on collected days without
-- one. Nothing alerts before the baseline has alert_min_baseline_days days, so a brand new to
-- the catalog is quiet for its first alert_min_baseline_days collected days. It reads upstream
-- models, not this mart, so a day rebuilt alone or within a range gives the same rows.
with daily as (
    select
        brand,
        day,
        mentions,
        negative_mentions,
        labelled_mentions
    from {{ ref('int_brand_mentions_daily') }}
    where {{ partition_window_with_lookback('day', lookback) }}
),

own_hashtags as (
    select
        brand,
        unnest(hashtags) as hashtag
    from {{ ref('stg_brands') }}
),

hashtag_first_collected as (
    select
        hashtag,
        min(day) as first_day
    from {{ ref('int_collected_days') }}
    group by hashtag
),

own_hashtags_collected as (
    -- A brand's own hashtags widen what is collected about it: until the last of them is
    -- collected, its mentions come from other hashtags only (a brand new to the catalog, or one
    -- given a new hashtag, would otherwise compare its first days with a baseline of near-silence).
    select
        o.brand,
        max(c.first_day) as first_day
    from own_hashtags as o
    inner join hashtag_first_collected as c on o.hashtag = c.hashtag
    group by o.brand
),

first_mentioned as (
    -- A brand is watched from its first mention (before it, e.g. its aliases were not in the
    -- catalog) and, when it has hashtags of its own, from the day all of them are collected.
    -- The first mention is the brand's first day in brand_daily_metrics (built before this model,
    -- the earlier days by earlier builds): a table of brand-days, where every mention of the
    -- history took a one-day build 9 s on a year of 15 million mentions (bench/warehouse.py).
    select
        m.brand,
        greatest(min(m.day), coalesce(max(o.first_day), min(m.day))) as first_day
    from {{ ref('brand_daily_metrics') }} as m
    left join own_hashtags_collected as o on m.brand = o.brand
    group by m.brand
),

collected_days as (
    select distinct day
    from {{ ref('int_collected_days') }}
    where {{ partition_window_with_lookback('day', lookback) }}
),

history as (
    select
        f.brand,
        s.day,
        cast(coalesce(d.mentions, 0) as double precision) as mentions,
        coalesce(d.negative_mentions, 0) as negative_mentions,
        coalesce(d.labelled_mentions, 0) as labelled_mentions
    from first_mentioned as f
    inner join collected_days as s on f.first_day <= s.day
    left join daily as d on f.brand = d.brand and s.day = d.day
),

today as (
    select
        brand,
        day,
        mentions,
        negative_mentions,
        labelled_mentions,
        case
            when labelled_mentions > 0
                then cast(negative_mentions as double precision) / labelled_mentions
        end as negative_share
    from daily
    where {{ partition_window('day') }}
),

baseline as (
    select
        t.brand,
        t.day,
        count(*) as baseline_days,
        avg(h.mentions) as baseline_mentions,
        stddev_samp(h.mentions) as mentions_sd,
        -- The baseline's negative share pools its mentions: a quiet day with 2 labelled
        -- mentions should not weigh as much as a busy one.
        cast(sum(h.negative_mentions) as double precision)
        / nullif(sum(h.labelled_mentions), 0) as baseline_negative_share
    from today as t
    inner join history as h
        on t.brand = h.brand and t.day > h.day and h.day >= t.day - {{ lookback }}
    group by t.brand, t.day
),

scored as (
    select
        t.brand,
        t.day,
        t.mentions,
        t.negative_mentions,
        t.negative_share,
        b.baseline_days,
        b.baseline_mentions,
        (t.mentions - b.baseline_mentions)
        / greatest(
            coalesce(b.mentions_sd, 0), cast({{ var('alert_mentions_sd_floor') }} as double precision)
        ) as mentions_z,
        b.baseline_negative_share,
        -- A proportion test: how many standard errors today's share lies above the baseline rate,
        -- given today's number of labelled mentions (more mentions, less noise).
        (t.negative_share - b.baseline_negative_share)
        / sqrt(
            greatest(
                b.baseline_negative_share * (1 - b.baseline_negative_share),
                cast({{ var('alert_negative_share_variance_floor') }} as double precision)
            )
            / nullif(t.labelled_mentions, 0)
        ) as negative_share_z
    from today as t
    inner join baseline as b on t.brand = b.brand and t.day = b.day
),

flagged as (
    select
        *,
        coalesce(
            baseline_days >= {{ min_baseline_days }}
            and mentions >= {{ var('alert_min_mentions') | int }}
            and mentions >= cast({{ var('alert_min_ratio') }} as double precision) * baseline_mentions
            and mentions_z >= cast({{ var('alert_z') }} as double precision),
            false
        ) as mentions_jumped,
        coalesce(
            baseline_days >= {{ min_baseline_days }}
            and negative_mentions >= {{ var('alert_min_negative') | int }}
            and negative_share_z >= cast({{ var('alert_z') }} as double precision)
            and negative_share
            >= baseline_negative_share + cast({{ var('alert_min_negative_share_rise') }} as double precision),
            false
        ) as negative_share_jumped
    from scored
),

alerts as (
    select * from flagged
    where mentions_jumped or negative_share_jumped
),

video_mentions as (
    select
        m.brand,
        m.day,
        m.video_id,
        row_number() over (
            partition by m.brand, m.day order by count(*) desc, {{ bytewise("m.video_id") }}
        ) as video_rank
    from {{ ref('int_brand_mentions_deduplicated') }} as m
    inner join alerts as a on m.brand = a.brand and m.day = a.day
    where {{ partition_window('m.day') }}
    group by m.brand, m.day, m.video_id
),

top_videos as (
    select
        brand,
        day,
        string_agg(video_id, ',' order by video_rank) as top_videos
    from video_mentions
    where video_rank <= 5
    group by brand, day
),

-- The proof a person paged can judge the alert by: the alert's mentions (once across hashtags), the
-- negative ones first when the negative share rose, then by the video's reach.
evidence as (
    select
        e.*,
        row_number() over (partition by e.brand, e.day, e.mention_id order by {{ bytewise("e.hashtag") }}) as copy_no,
        case when a.negative_share_jumped and e.sentiment_label = 'negative' then 0 else 1 end as fits_reason
    from {{ ref('mention_evidence') }} as e
    inner join alerts as a on e.brand = a.brand and e.day = a.day
    where {{ partition_window('e.day') }}
),

ranked_evidence as (
    select
        *,
        row_number() over (
            partition by brand, day
            order by
                fits_reason, view_count desc nulls last, {{ bytewise("video_id") }}, start_s nulls last,
                {{ bytewise("mention_id") }}
        ) as evidence_rank
    from evidence
    where copy_no = 1
),

top_evidence as (
    select
        brand,
        day,
        {{ json_array_of_objects([
            ['mention_id', 'mention_id'],
            ['video_id', 'video_id'],
            ['video_url', 'video_url'],
            ['creator', 'creator'],
            ['view_count', 'view_count'],
            ['origin', 'origin'],
            ['quote', 'left(quote, 280)'],
            ['start_s', 'start_s'],
            ['end_s', 'end_s'],
            ['sentiment_label', 'sentiment_label'],
            ['thumbnail_uri', 'thumbnail_uri'],
        ], 'evidence_rank') }} as top_evidence
    from ranked_evidence
    where evidence_rank <= 5
    group by brand, day
)

select
    cast(md5(a.brand || '|' || {{ iso_date('a.day') }}) as text) as alert_id,
    a.day,
    cast(a.brand as text) as brand,
    cast(b.competitor_group as text) as competitor_group,
    cast(concat_ws(
        ',',
        case when a.mentions_jumped then 'mentions' end,
        case when a.negative_share_jumped then 'negative_share' end
    ) as text) as reasons,
    cast(a.mentions as bigint) as mentions,
    cast(a.baseline_mentions as double precision) as baseline_mentions,
    cast(a.mentions_z as double precision) as mentions_z,
    cast(a.negative_mentions as bigint) as negative_mentions,
    cast(a.negative_share as double precision) as negative_share,
    cast(a.baseline_negative_share as double precision) as baseline_negative_share,
    cast(a.negative_share_z as double precision) as negative_share_z,
    cast(a.baseline_days as integer) as baseline_days,
    cast(t.top_videos as text) as top_videos,
    cast(coalesce(ev.top_evidence, '[]') as text) as top_evidence
from alerts as a
left join {{ ref('stg_brands') }} as b on a.brand = b.brand
left join top_videos as t on a.brand = t.brand and a.day = t.day
left join top_evidence as ev on a.brand = ev.brand and a.day = ev.day
