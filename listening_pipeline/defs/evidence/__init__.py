"""Evidence: the pages that show what is behind a number (one per alert)."""
