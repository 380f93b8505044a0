-- Each collected video once per day with the sound and each effect it uses: one row per video and
-- feature ('sound' or 'effect'), across tracked hashtags, with the largest counts seen. The features
-- are unnested in the select list (both engines run parallel unnests in step), so an effect's id
-- and name stay paired and a reader's filter on day reaches stg_videos. Each CTE reads stg_videos
-- itself: a CTE read twice is materialized whole by DuckDB, before any filter.
with videos as (
    select
        day,
        video_id,
        max(creator) as creator,
        max(view_count) as view_count,
        max(engagement) as engagement,
        max(music_id) as music_id
    from {{ ref('stg_videos') }}
    group by day, video_id
),

effects as (
    select distinct
        day,
        video_id,
        unnest(effect_ids) as feature_id,
        unnest(effect_names) as feature_name
    from {{ ref('stg_videos') }}
),

features as (
    select
        day,
        video_id,
        'sound' as feature,
        music_id as feature_id,
        cast(null as text) as feature_name
    from videos
    where music_id is not null
    union all
    select
        day,
        video_id,
        'effect' as feature,
        feature_id,
        max(feature_name) as feature_name
    from effects
    where feature_id is not null
    group by day, video_id, feature_id
)

select
    f.day,
    f.video_id,
    f.feature,
    f.feature_id,
    f.feature_name,
    v.creator,
    v.view_count,
    v.engagement
from features as f
inner join videos as v on f.day = v.day and f.video_id = v.video_id
