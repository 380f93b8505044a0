"""`listening-pipeline analyze VIDEO`: the whole enrichment on one file, printed as tables or JSON."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from listening_pipeline.commands.common import CliError
from listening_pipeline.progress import StepProgress
from listening_pipeline.settings import Settings


def load_models(loaded: Any, catalog: Any) -> dict[str, Any]:
    """Each model the analysis needs, loaded with n/N progress on stderr; no logo detector is not an error.

    The logo detector is the one trained for ``catalog``'s logos (or ``--logo-weights``); when none
    was trained yet, logos are skipped rather than trained here for minutes.
    """
    from listening_pipeline.lib import weights
    from listening_pipeline.lib.logos.registry import find_detector

    def detector() -> Any:
        if not loaded.logo_weights:
            plan = loaded.logo_training_plan(catalog)
            if not plan.classes or find_detector(Path(loaded.logo_dir), plan.fingerprint()) is None:
                return None
            return loaded.logo_detector(catalog)
        try:
            return loaded.logo_detector()
        except weights.ModelNotFound:
            return None

    steps = [
        ("speech", "speech recognition (whisper)", loaded.speech),
        ("reader", "caption reader (easyocr)", loaded.text_reader),
        ("scorer", "sentiment", loaded.sentiment),
        ("detector", "logo detector", detector),
    ]
    models: dict[str, Any] = {}
    with StepProgress(len(steps), "loading models", stream=sys.stderr) as progress:
        for key, label, load in steps:
            progress.upcoming(label)
            models[key] = load()
            progress.step(label if key != "detector" or models[key] else f"{label} (none: logos skipped)")
    return models


def analyze(args: argparse.Namespace, settings: Settings) -> int:
    """Every stage on one file, models loaded once (progress on stderr: stdout may be JSON)."""
    import json

    import polars as pl

    from listening_pipeline.catalog import CatalogError, load_catalog
    from listening_pipeline.defs.resources import MLModelsResource
    from listening_pipeline.lib.analyze import analyze_video
    from listening_pipeline.lib.media.decode import MediaError

    video = Path(args.video)
    if not video.is_file():
        raise CliError(f"{video}: no such file")
    try:
        catalog = load_catalog(args.catalog or settings.catalog_path)
    except CatalogError as exc:
        raise CliError(str(exc)) from exc
    loaded = MLModelsResource(
        whisper_model=args.whisper_model or "",
        sentiment_model=args.sentiment_model or "",
        logo_weights=args.logo_weights or _settings_weights(settings, own_catalog=bool(args.catalog)),
        logo_dir=str(settings.logo_dir),
    )
    # Model libraries print progress to stdout; keep stdout for the report (JSON must parse).
    with contextlib.redirect_stdout(sys.stderr):
        models = load_models(loaded, catalog)
        try:
            result = analyze_video(video, catalog, **models, description=args.description)
        except MediaError as exc:
            raise CliError(f"{video}: {exc.reason}") from exc
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, default=str, indent=2))
        return 0
    with pl.Config(tbl_rows=50, tbl_cols=12, fmt_str_lengths=80, tbl_width_chars=160):
        print(json.dumps(result.video, ensure_ascii=False))
        for title, frame, columns in [
            ("transcript", result.transcript, ["start_s", "end_s", "language", "text"]),
            ("captions", result.captions, ["first_seen_s", "last_seen_s", "confidence", "text"]),
            ("logos", result.logos, ["t_s", "brand", "confidence"]),
            ("brand evidence", result.mentions, ["brand", "origin", "matched_text", "t_s", "sentiment_label"]),
        ]:
            print(f"\n{title}:")
            print(frame.select(columns) if frame.height else "  (none)")
        units = result.text_units.join(result.sentiment, on=["unit_id"], how="left")
        print("\nsentiment:")
        print(units.select(["origin", "text", "label", "polarity", "model"]) if units.height else "  (none)")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _settings_weights(settings: Settings, *, own_catalog: bool) -> str:
    """The user's LISTENING_PIPELINE_LOGO_WEIGHTS; the bundled detector only for the bundled catalog's brands."""
    from listening_pipeline.settings import BUNDLED_LOGO_WEIGHTS

    chosen = settings.logo_weights or ""
    return "" if own_catalog and chosen and Path(chosen) == BUNDLED_LOGO_WEIGHTS else chosen
