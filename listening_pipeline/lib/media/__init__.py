"""Media handling with no Dagster in sight: the media store, decoding, frame sampling."""
