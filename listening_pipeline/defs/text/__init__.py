"""Text: every piece of text with its origin, and its sentiment."""
