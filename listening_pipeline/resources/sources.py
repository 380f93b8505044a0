"""The video source the collection assets read, and the brand catalog, as Dagster resources."""

from dagster import ConfigurableResource

from listening_pipeline.catalog import Catalog, load_catalog
from listening_pipeline.sources.base import VideoSource


class SourceResource(ConfigurableResource):
    """``kind`` 'folder' reads ``folder``; 'research_api' calls the TikTok Research API.

    Secrets (``client_key``, ``client_secret``) should be set with ``EnvVar`` so they never
    appear in run configuration.
    """

    kind: str = "folder"
    folder: str = "var/sample"
    api_base_url: str = "https://open.tiktokapis.com"
    client_key: str = ""
    client_secret: str = ""
    media_url_template: str = ""
    wait_for_quota_reset: bool = False

    def get(self) -> VideoSource:
        if self.kind == "folder":
            from listening_pipeline.sources.folder import FolderSource

            return FolderSource(self.folder)
        if self.kind == "research_api":
            from listening_pipeline.sources import research_api

            if not (self.client_key and self.client_secret):
                raise ValueError("the research_api source needs client_key and client_secret")
            client = research_api.ResearchApiClient(
                self.api_base_url,
                self.client_key,
                self.client_secret,
                wait_for_quota_reset=self.wait_for_quota_reset,
            )
            downloader = (
                research_api.UrlTemplateDownloader(self.media_url_template)
                if self.media_url_template
                else research_api.NoMediaDownloader()
            )
            return research_api.ResearchApiSource(client, media=downloader)
        raise ValueError(f"unknown source kind {self.kind!r}")


class CatalogResource(ConfigurableResource):
    """The brand catalog file; empty means the bundled sample catalog."""

    path: str = ""

    def load(self) -> Catalog:
        return load_catalog(self.path or None)
