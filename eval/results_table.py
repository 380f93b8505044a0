"""The figures table in ``eval/RESULTS.md``, regenerated from every ``eval/results/*.json`` (oldest run first).

Only the part between the two markers is rewritten; the prose around it is kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _get(results: dict[str, Any], path: str) -> Any:
    value: Any = results
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _rows(runs: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    def ratio(path: str) -> list[str]:
        return [_pct(_get(r, path)) for r in runs]

    def count(path: str) -> list[str]:
        return ["-" if _get(r, path) is None else str(_get(r, path)) for r in runs]

    def mention(path: str) -> list[str]:
        return [
            f"{_pct(_get(r, path + '.recall'))} / {_pct(_get(r, path + '.precision'))} / {_get(r, path + '.false')}"
            for r in runs
        ]

    rows = [("pipeline commit", [str(r.get("commit", "-")) for r in runs])]
    rows.append(("all mentions: recall / precision / false", mention("mentions")))
    origins = sorted({o for r in runs for o in r["origins"]})
    rows += [(f"origin {o}", mention(f"origins.{o}")) for o in origins]
    brands = sorted({b for r in runs for b in r["brands"]})
    rows += [(f"brand {b}", mention(f"brands.{b}")) for b in brands]
    wers = sorted({k for r in runs for k in r["stages"]["speech"]["wer"]})
    rows += [(f"speech WER ({k})", ratio(f"stages.speech.wer.{k}")) for k in wers]
    rows += [
        ("words on music/silence clips", count("stages.speech.words_on_music_or_silence")),
        ("caption recall (all captions)", ratio("stages.captions.caption_recall")),
        ("caption recall (brand captions)", ratio("stages.captions.brand_caption_recall")),
        ("logo box recall at IoU 0.5", ratio("stages.logos.box_recall")),
        ("logo box precision at IoU 0.5", ratio("stages.logos.box_precision")),
        ("logo hits on background-only clips", count("stages.logos.hits_on_background_only")),
        ("speech sentiment agreement", ratio("stages.sentiment.agreement")),
        ("double counts", count("double_counts")),
        ("logo hits on real photos without a catalog logo (66 frames)", count("held_out.photos.false_hits")),
        ("dense real frames: phrases read of 22, ours", count("held_out.dense_text.total.ours")),
        ("dense real frames: phrases read of 22, raw EasyOCR", count("held_out.dense_text.total.raw_easyocr")),
        ("logo detector training, s", [f"{float(_get(r, 'detector.training_seconds') or 0):.0f}" for r in runs]),
        ("whole run, s", [f"{r['run_seconds']:.0f}" for r in runs]),
    ]
    for target in runs[-1]["targets"]:
        verdicts = [{t["target"]: t["met"] for t in r["targets"]}.get(target["target"]) for r in runs]
        cells = ["-" if v is None else "met" if v else "not met" for v in verdicts]
        rows.append((f"target: {target['target']}", cells))
    return rows


def results_table(results_dir: Path) -> str:
    runs = sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in Path(results_dir).glob("*.json")),
        key=lambda r: r["when"],
    )
    if not runs:
        return "(no runs yet: `make eval`)"
    header = "| figure | " + " | ".join(f"{r['label']} ({r['when'][:10]})" for r in runs) + " |"
    lines = [header, "|---|" + "---|" * len(runs)]
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in _rows(runs)]
    return "\n".join(lines)


def write_results_table(results_dir: Path, markdown: Path) -> None:
    table = f"{START}\n{results_table(results_dir)}\n{END}"
    text = markdown.read_text(encoding="utf-8") if markdown.exists() else f"# Evaluation results\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    markdown.write_text(head + table + tail, encoding="utf-8")
