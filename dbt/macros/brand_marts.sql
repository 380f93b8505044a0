{#- Helpers shared by the brand marts (share_of_voice, creator_leaderboard, brand_alerts). -#}

{#- Each brand mention once per day. A video collected under two tracked hashtags is in both
    hashtags' partitions with the same mention_id (ids come from the video and the text, not the
    hashtag): keep the copy of the alphabetically first hashtag. `where` filters stg_brand_mentions. -#}
{% macro brand_mentions_once(where) -%}
    select day, mention_id, video_id, brand, origin, sentiment_label
    from (
        select
            day, mention_id, video_id, brand, origin, sentiment_label,
            row_number() over (partition by day, mention_id order by {{ bytewise("hashtag") }}) as copy_no
        from {{ ref('stg_brand_mentions') }}
        where {{ where }}
    ) copies
    where copy_no = 1
{%- endmacro %}

{#- Each collected video once per day, with the largest counts seen (a video under two hashtags
    may have been collected at two times). `where` filters stg_videos. -#}
{% macro videos_once(where) -%}
    select
        day,
        video_id,
        max(creator) as creator,
        max(view_count) as view_count,
        max(engagement) as engagement
    from {{ ref('stg_videos') }}
    where {{ where }}
    group by day, video_id
{%- endmacro %}

{#- A date as 'YYYY-MM-DD' text on every engine, whatever the session's DateStyle
    (alert ids hash it, and the alert sensor recomputes them in Python). -#}
{% macro iso_date(column) -%}
  {{ return(adapter.dispatch('iso_date')(column)) }}
{%- endmacro %}

{% macro default__iso_date(column) -%}
  cast({{ column }} as varchar)
{%- endmacro %}

{% macro duckdb__iso_date(column) -%}
  strftime({{ column }}, '%Y-%m-%d')
{%- endmacro %}

{% macro postgres__iso_date(column) -%}
  to_char({{ column }}, 'YYYY-MM-DD')
{%- endmacro %}

{#- The partition window widened by `days` days before min_date: what a trailing baseline reads. -#}
{% macro partition_window_with_lookback(column, days) -%}
  {{ column }} >= cast('{{ var("min_date") }}' as date) - {{ days | int }} and {{ column }} < cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{#- Text in byte order on every engine, for tie-breaks that must not depend on the database's
    locale (PostgreSQL sorts by its collation, DuckDB by bytes). -#}
{% macro bytewise(column) -%}
  {{ return(adapter.dispatch('bytewise')(column)) }}
{%- endmacro %}

{% macro default__bytewise(column) -%}
  {{ column }}
{%- endmacro %}

{% macro postgres__bytewise(column) -%}
  {{ column }} collate "C"
{%- endmacro %}
