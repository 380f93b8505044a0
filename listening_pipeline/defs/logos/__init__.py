"""Logos: the detector trained from the catalog (kept in step by a sensor), and the logos it finds in key frames."""
