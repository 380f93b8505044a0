"""Media: each video decoded once into audio and deduplicated key frames."""
