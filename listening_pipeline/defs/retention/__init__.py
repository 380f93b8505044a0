"""Retention: comment text, creator handles and media past their window erased, and a check that proves it."""
