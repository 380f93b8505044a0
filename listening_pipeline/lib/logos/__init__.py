"""Brand-logo detection with a small YOLO model the project trains itself, offline. Nothing here imports Dagster.

Why it exists: no pretrained brand-logo weights can be had offline, and a catalog's brands are
its own. So the detector is trained from the catalog's logo images, and run on video frames.
Read it in the order a logo travels:

- :mod:`.synthetic` (with :mod:`.drawing`): the catalog's logos pasted, transformed, onto many
  synthetic frames, written as a YOLO dataset (:func:`build_training_set`);
- :mod:`.training`: a small YOLO trained from its yaml definition on that dataset (:func:`train_detector`);
- :mod:`.detection`: :class:`LogoDetector` runs those weights, or any user-supplied YOLO detection
  weights, on video frames; :func:`hit_rows` makes LOGO_HITS rows;
- :mod:`.verification`: with the catalog's logo files, the trained weights only propose boxes,
  :mod:`.search` proposes more from the files themselves (correlated with the whole frame), and
  :class:`LogoVerifier` keeps those that match a reference logo (shape and appearance correlation);
  :mod:`.templates` makes the reference arrays both correlate with;
- :mod:`.appearances`: hits on consecutive frames at the same place merged into one appearance;
- :mod:`.evaluation`: precision and recall against ground truth;
- :mod:`.yolo`: ultralytics kept off the network (:func:`offline_ultralytics`), called by training
  and detection before ultralytics is imported.

Box maths lives in :mod:`listening_pipeline.lib.boxes`; training defaults in :mod:`listening_pipeline.lib.weights`.
"""

from listening_pipeline.lib.boxes import Box, iou
from listening_pipeline.lib.logos.appearances import APPEARANCE_MAX_GAP_S, APPEARANCE_MIN_IOU, logo_appearances
from listening_pipeline.lib.logos.detection import DEFAULT_CONF, Detection, LogoDetector, hit_rows
from listening_pipeline.lib.logos.evaluation import FrameDetector, evaluate_detector
from listening_pipeline.lib.logos.synthetic import LabeledFrame, build_training_set, synthetic_frames
from listening_pipeline.lib.logos.training import TrainedDetector, train_detector
from listening_pipeline.lib.logos.verification import LogoVerifier
from listening_pipeline.lib.logos.yolo import DEFAULT_CONFIG_DIR, bundled_font, offline_ultralytics

__all__ = [
    "APPEARANCE_MAX_GAP_S",
    "APPEARANCE_MIN_IOU",
    "DEFAULT_CONF",
    "DEFAULT_CONFIG_DIR",
    "Box",
    "Detection",
    "FrameDetector",
    "LabeledFrame",
    "LogoDetector",
    "LogoVerifier",
    "TrainedDetector",
    "build_training_set",
    "bundled_font",
    "evaluate_detector",
    "hit_rows",
    "iou",
    "logo_appearances",
    "offline_ultralytics",
    "synthetic_frames",
    "train_detector",
]
