"""Framework-free enrichment: speech, captions, logos, sentiment and brand mentions (no Dagster here)."""
