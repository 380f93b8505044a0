-- Effects per day over every tracked hashtag, against their trailing baseline (macros/feature_trends.sql).
{{ feature_trends('effect', 'effect_id') }}
