"""The ceiling: the same videos only decoded, by the project's decoder (audio + deduplicated key frames), one
after another in one process. No pipeline can enrich faster than it can decode.

    python -m bench.decode_only --corpus DIR --videos ID [ID ...] --out result.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--videos", nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from listening_pipeline.lib.media.decode import decode_video

    media = {
        str(v["id"]): v["media"]
        for v in map(json.loads, (args.corpus / "videos.jsonl").read_text(encoding="utf-8").splitlines())
    }
    started = time.perf_counter()
    frames = 0
    for video_id in args.videos:
        frames += len(decode_video(args.corpus / media[video_id]).frames)
    seconds = time.perf_counter() - started
    args.out.write_text(json.dumps({"seconds": seconds, "frames_kept": frames}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
