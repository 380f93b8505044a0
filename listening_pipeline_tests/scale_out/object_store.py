"""A throwaway S3-compatible server on 127.0.0.1 (moto's, from the package index) for the media store.

Workers on different machines need one media store; in a deployment that is S3, GCS or MinIO.
Here it is moto's S3 server, spoken to over HTTP by s3fs exactly as a worker speaks to MinIO:
the processes get the bucket's URL as LISTENING_PIPELINE_MEDIA_ROOT, credentials in the standard
AWS variables and the endpoint in AWS_ENDPOINT_URL_S3, nothing else (docs/scaling.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from listening_pipeline_tests.postgres import free_port

# Throwaway values: moto accepts any credentials, but s3fs (botocore) refuses to sign without some.
ACCESS_KEY = "listening-pipeline-test"
SECRET_KEY = "listening-pipeline-test-secret"


@dataclass
class S3Server:
    """moto's S3 server in a thread of this process, with one empty bucket."""

    bucket: str = "listening-media"
    port: int = field(default_factory=free_port)
    server: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def media_root(self) -> str:
        return f"s3://{self.bucket}/media"

    def env(self) -> dict[str, str]:
        """What a worker needs to reach the bucket: the variables an operator sets for MinIO."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": self.endpoint,
        }

    def filesystem(self):
        """An s3fs filesystem on this server, configured explicitly (this process's environment is left alone)."""
        import s3fs

        return s3fs.S3FileSystem(
            endpoint_url=self.endpoint, key=ACCESS_KEY, secret=SECRET_KEY, skip_instance_cache=True
        )

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self.filesystem().mkdir(self.bucket)

    def objects(self, prefix: str = "media") -> list[str]:
        """Every object key under ``prefix`` in the bucket, read back over HTTP."""
        fs = self.filesystem()
        fs.invalidate_cache()
        return sorted(path.removeprefix(f"{self.bucket}/") for path in fs.find(f"{self.bucket}/{prefix}"))

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
