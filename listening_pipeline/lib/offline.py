"""The offline environment: the variables that keep each library off the network, in one place.

Why it exists: whisperx, transformers, pyannote and ultralytics each reach for a hub or send
usage events unless told not to, and dbt phones home. Model weights come from local folders
(:mod:`listening_pipeline.lib.weights`); downloading is an explicit command, never a side effect.

The Makefile (its ``export`` lines) and ``docker/Dockerfile`` (its ``ENV``) mirror
:data:`OFFLINE_ENVIRONMENT`: neither can import Python, so a change here belongs there too
(``listening_pipeline_tests/test_logos.py`` checks that they agree).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

OFFLINE_ENVIRONMENT: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",  # huggingface_hub (whisperx, faster-whisper, transformers): local cache only
    "TRANSFORMERS_OFFLINE": "1",
    "PYANNOTE_METRICS_ENABLED": "false",  # pyannote-audio 4 sends usage telemetry otherwise
    "YOLO_OFFLINE": "1",  # ultralytics: no DNS probe on import
    "YOLO_AUTOINSTALL": "0",  # ultralytics: no pip installs of missing packages
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}


def use_offline_environment(*, insist: Iterable[str] = ()) -> None:
    """Set the offline variables; a value the user set wins, except for the names in ``insist``.

    Call it before the library it protects is first imported: most read these variables then.
    """
    forced = set(insist)
    unknown = forced - OFFLINE_ENVIRONMENT.keys()
    if unknown:
        raise ValueError(f"not an offline variable: {', '.join(sorted(unknown))}")
    for name, value in OFFLINE_ENVIRONMENT.items():
        if name in forced:
            os.environ[name] = value
        else:
            os.environ.setdefault(name, value)
