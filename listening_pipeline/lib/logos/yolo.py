"""Ultralytics without the network: offline switches, quiet settings and a local font, set before it is imported.

Why it exists: ultralytics reaches the network unless told not to (a DNS probe on import, font
downloads in dataset checks, usage events, an AMP check model). :func:`offline_ultralytics` turns
all of that off; training and detection call it before ultralytics is imported.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from listening_pipeline.lib.devices import available_threads
from listening_pipeline.lib.offline import use_offline_environment

log = logging.getLogger(__name__)

# Where ultralytics keeps its settings and font when a caller names no folder: per user, outside the repository.
DEFAULT_CONFIG_DIR = (
    Path(tempfile.gettempdir()) / f"listening_pipeline-{os.getuid() if hasattr(os, 'getuid') else 'user'}" / "yolo"
)

# Ultralytics settings that would send data somewhere or load a logging integration.
_QUIET_SETTINGS = {
    "sync": False,
    "clearml": False,
    "comet": False,
    "dvc": False,
    "mlflow": False,
    "raytune": False,
    "tensorboard": False,
    "wandb": False,
}


def offline_ultralytics(config_dir: Path = DEFAULT_CONFIG_DIR) -> Path:
    """Make ultralytics work with no network; returns the settings folder it uses.

    Why each switch: ``YOLO_OFFLINE`` stops the DNS probe made on import, ``YOLO_AUTOINSTALL=0``
    stops pip installs (both set with the rest of :mod:`listening_pipeline.lib.offline`), settings
    ``sync=False`` stops usage events, and a font named ``Arial.ttf`` (and ``Arial.Unicode.ttf``, for
    non-ASCII class names such as "Café Brisa") in the settings folder stops the dataset check
    from fetching one.
    Call it before the first ``import ultralytics``: once imported, ultralytics keeps the
    settings folder it started with (this function then uses that one and says so).
    """
    # Whatever the user set: this module promises an ultralytics that never reaches the network.
    use_offline_environment(insist=("YOLO_OFFLINE", "YOLO_AUTOINSTALL"))
    already_imported = "ultralytics" in sys.modules
    if not already_imported:
        os.environ["YOLO_CONFIG_DIR"] = str(Path(config_dir).resolve())
        # Importing ultralytics sets OMP_NUM_THREADS=1 when it is unset, for every model the process loads after
        # it (and every child process): OpenMP's own default, all the cores, is kept unless the user chose.
        os.environ.setdefault("OMP_NUM_THREADS", str(available_threads()))
    import ultralytics.utils as yolo_utils
    import ultralytics.utils.checks as yolo_checks

    folder = Path(yolo_utils.USER_CONFIG_DIR)
    if already_imported and folder.parent != Path(config_dir).resolve():
        log.info("ultralytics was imported before offline_ultralytics(); it keeps its settings in %s", folder)
    yolo_checks.AUTOINSTALL = False  # read at import time: covers an import that came first
    _place_fonts(folder)
    changed = {key: value for key, value in _QUIET_SETTINGS.items() if yolo_utils.SETTINGS.get(key) != value}
    if changed:
        yolo_utils.SETTINGS.update(changed)
    return folder


def _place_fonts(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    font = bundled_font()
    if font is None:
        log.warning("no TTF font found in installed packages: ultralytics may try to download Arial.ttf")
        return
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = folder / name
        if not target.exists():
            shutil.copyfile(font, target)


def bundled_font() -> Path | None:
    """A TTF that ships with an installed package (matplotlib's DejaVu Sans), found without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.origin:
        return None
    font = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return font if font.is_file() else None
