{#- The one trend rule hashtag_trends, sound_trends and effect_trends share: a trailing baseline (the
    average per collected day over the trend_baseline_days before), the growth against it, and when a
    day counts as rising. One home, so the three marts can never disagree on what "rising" means. -#}

{% macro trend_baseline(trailing_total, baseline_days) -%}
    case
        when {{ baseline_days }} > 0 then cast({{ trailing_total }} as double precision) / {{ baseline_days }}
    end
{%- endmacro %}

{% macro trend_growth(value, baseline) -%}
    case when {{ baseline }} > 0 then cast({{ value }} as double precision) / {{ baseline }} end
{%- endmacro %}

{% macro trend_is_rising(videos, baseline_days, baseline_videos) -%}
    coalesce(
        {{ baseline_days }} >= {{ var('trend_min_baseline_days') | int }}
        and {{ videos }} >= {{ var('trend_min_videos') | int }}
        and (
            {{ baseline_videos }} = 0
            or {{ videos }} >= cast({{ var('trend_min_ratio') }} as double precision) * {{ baseline_videos }}
        ),
        false
    )
{%- endmacro %}
