"""Text: the text units of a video and their sentiment."""
