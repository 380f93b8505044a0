"""Time the pipeline's own logo training for a 10-brand catalog: issue 12's limit is 10 minutes on 2 cores.

The catalog is the evaluation set's six real brands (eval/brands.yaml) and four of the sample catalog's
badges, trained exactly as the ``logo_detector`` asset trains a new catalog's detector
(:func:`ensure_detector` with :meth:`MLModelsResource.logo_training_plan`'s settings: fine-tuned from the
bundled detector, the default images and epochs), into a fresh folder so nothing cached is reused.

    .venv/bin/python bench/catalog_training.py [--brands 10] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ten_brand_catalog(path: Path, brands: int) -> Path:
    """eval/brands.yaml's brands, then the sample catalog's, up to ``brands`` with logos; logo paths made absolute."""
    evaluation = yaml.safe_load((ROOT / "eval" / "brands.yaml").read_text(encoding="utf-8"))
    sample = yaml.safe_load((ROOT / "listening_pipeline" / "data" / "brands.yaml").read_text(encoding="utf-8"))
    chosen: list[dict[str, object]] = []
    for catalog, folder in ((evaluation, ROOT / "eval"), (sample, ROOT / "listening_pipeline" / "data")):
        for brand in catalog["brands"]:
            if brand.get("logos") and len(chosen) < brands:
                chosen.append({**brand, "logos": [str(folder / logo) for logo in brand["logos"]]})
    path.write_text(yaml.safe_dump({**evaluation, "brands": chosen}, sort_keys=False), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brands", type=int, default=10)
    parser.add_argument("--out", type=Path, help="detector folder (default: a new temporary one)")
    args = parser.parse_args()
    out = (args.out or Path(tempfile.mkdtemp(prefix="catalog-training-"))).resolve()

    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.defs.resources import MLModelsResource
    from listening_pipeline.lib.logos.registry import ensure_detector

    catalog = load_catalog(ten_brand_catalog(out / "brands.yaml", args.brands))
    plan = MLModelsResource(logo_dir=str(out)).logo_training_plan(catalog)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    record = ensure_detector(plan, out / "detectors")
    seconds = time.perf_counter() - started
    assert record is not None
    print(
        f"{len(plan.brands)} brands ({', '.join(plan.classes)}): {plan.images} images, {plan.epochs} epochs, "
        f"trained in {record.training_seconds:.0f} s ({seconds:.0f} s wall), val mAP50 {record.map50:.2f}; "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at start"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
