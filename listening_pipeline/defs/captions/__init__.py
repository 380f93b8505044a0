"""Captions: on-screen text read from the key frames."""
