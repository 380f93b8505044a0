"""The media store as a Dagster resource (the store itself: :mod:`listening_pipeline.media.store`)."""

from dagster import ConfigurableResource

from listening_pipeline.media.store import MediaStore


class MediaStoreResource(ConfigurableResource):
    """``root``: a local folder or an fsspec URL; credentials come from fsspec's usual environment."""

    root: str = "var/media"

    def get(self) -> MediaStore:
        return MediaStore(self.root)
