"""Logos: the detector trained from the catalog, and the logos it finds in key frames."""
