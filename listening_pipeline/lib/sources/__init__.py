"""Where videos come from: a local drop folder (the embedded default) or the TikTok Research API."""
