"""Speech: transcripts of each video's audio."""
