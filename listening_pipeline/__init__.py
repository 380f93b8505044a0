"""listening_pipeline: social listening for short-video networks."""
