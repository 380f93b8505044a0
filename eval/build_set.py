"""Build the real-media evaluation set from its sources: ``eval/set/`` (a folder source) and ``eval/logos/``.

Why a script and committed output: the clips are rendered once and committed, so every run of
``make eval`` scores the same bytes (espeak-ng and x264 versions would otherwise shift them).
Run it again only to change the set:

    .venv/bin/python eval/build_set.py --jfk /path/to/jfk.flac

Needs espeak-ng, cairosvg (``pip install -c constraints.txt cairosvg``: it rasterizes the Simple
Icons SVGs in ``eval/sources/logos/``) and the JFK recording from openai/whisper ``tests/jfk.flac``
(see ``eval/SOURCES.md``). Backgrounds are scikit-image's sample photos (installed with the project).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
from PIL import Image, ImageDraw

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

from clips import CLIPS, DAY, HASHTAGS, Caption, Clip, Logo  # noqa: E402

from listening_pipeline.lib.sample_data import chord_music, synthesize_speech, video_codec  # noqa: E402
from listening_pipeline.lib.sample_data.drawing import load_font  # noqa: E402

WIDTH, HEIGHT, FPS, AUDIO_RATE = 360, 640, 12, 22050
CLIP_SECONDS = 8.0
SPEECH_START_S = 0.5
VIDEO_ID_BASE = 7_400_000_000_000_000_000
COMMENT_ID_BASE = 7_410_000_000_000_000_000
LOGO_REFERENCE_SIZE = 256
# Brand colours as Simple Icons records them (data/simple-icons.json); scikit-image ships its own PNG.
BRANDS: dict[str, dict[str, Any]] = {
    "Apple": {"slug": "apple", "hex": "000000", "group": "consumer_tech", "aliases": []},
    "Spotify": {"slug": "spotify", "hex": "1ED760", "group": "consumer_tech", "aliases": []},
    "Puma": {"slug": "puma", "hex": "242B2F", "group": "sportswear", "aliases": []},
    "Shell": {"slug": "shell", "hex": "FFD500", "group": "retail", "aliases": []},
    "Target": {"slug": "target", "hex": "CC0000", "group": "retail", "aliases": []},
    "scikit-image": {"slug": "scikit-image", "hex": None, "group": "software", "aliases": ["skimage"]},
}
# What a brand team writes for names that are ordinary words (catalog keys common_words and context_words):
# the brand's own vocabulary in the catalog's languages (en, es, de), a '*' stem where words inflect or compound.
COMMON_WORDS: dict[str, tuple[list[str], list[str]]] = {
    "Apple": (
        ["Apple"],
        "iPhone* iPad* iPod Mac MacBook* iMac AirPods iOS phone* smartphone* telefon* móvil Handy laptop* tablet* "
        "computer* computadora* ordenador*".split(),
    ),
    "Puma": (
        ["Puma"],
        "shoe* sneaker* trainers boots zapatilla* zapato* tenis botas Schuh* Turnschuh* sportswear jersey* Trikot* "
        "camiseta*".split(),
    ),
    "Shell": (["Shell"], "station* gas fuel* petrol diesel tank* gasolin* Benzin* Tankstelle*".split()),
    "Target": (["Target"], "store* shop* aisle* checkout pharmacy tienda* Laden".split()),
}
COUNTING_RULE = (
    "Per video, a brand counts once per origin for speech, caption, logo, description and hashtag "
    "(a brand hashtag written inside the description counts as a hashtag, not as a description mention), "
    "and once per comment that names it. A brand name used as a common word ('a shell on the beach') is "
    "not a mention."
)


def reference_logo(brand: str) -> Image.Image:
    """The catalog's reference image: the Simple Icons path in the brand colour, or the brand's own PNG."""
    spec = BRANDS[brand]
    source = EVAL_DIR / "sources" / "logos"
    if spec["hex"] is None:
        image = Image.open(source / f"{spec['slug']}.png").convert("RGBA")
    else:
        import cairosvg

        svg = (source / f"{spec['slug']}.svg").read_text(encoding="utf-8")
        svg = svg.replace("<svg ", f'<svg fill="#{spec["hex"]}" ', 1)
        png = cairosvg.svg2png(bytestring=svg.encode(), output_width=LOGO_REFERENCE_SIZE)
        image = Image.open(io.BytesIO(png)).convert("RGBA")
    image = image.crop(image.getchannel("A").getbbox())
    image.thumbnail((LOGO_REFERENCE_SIZE, LOGO_REFERENCE_SIZE), Image.Resampling.LANCZOS)
    return image


def write_catalog(logos: dict[str, Image.Image]) -> None:
    (EVAL_DIR / "logos").mkdir(exist_ok=True)
    lines = [
        "# The evaluation set's brand catalog: real brands, their real logos (see SOURCES.md).",
        "# Written by eval/build_set.py.",
        "languages: [en, es, de]",
        "",
        "hashtags:",
        *[f"  - {tag}" for tag in HASHTAGS],
        "",
        "brands:",
    ]
    for brand, spec in BRANDS.items():
        logos[brand].save(EVAL_DIR / "logos" / f"{spec['slug']}.png", optimize=True)
        aliases = ", ".join(spec["aliases"])
        lines += [
            f"  - name: {brand}",
            f"    competitor_group: {spec['group']}",
            f"    aliases: [{aliases}]",
            "    hashtags: []",
            f"    logos: [logos/{spec['slug']}.png]",
        ]
        if brand in COMMON_WORDS:
            common, context = COMMON_WORDS[brand]
            lines += [f"    common_words: [{', '.join(common)}]", f"    context_words: [{', '.join(context)}]"]
        lines.append("")
    (EVAL_DIR / "brands.yaml").write_text("\n".join(lines), encoding="utf-8")


def background(clip: Clip) -> Image.Image:
    """A scikit-image photo cropped to 9:16 around its centre, scaled to the frame."""
    import skimage.data

    pixels = getattr(skimage.data, clip.background)()
    image = Image.fromarray(pixels).convert("RGB")
    w, h = image.size
    crop_w = min(w, int(h * WIDTH / HEIGHT))
    crop_h = min(h, int(crop_w * HEIGHT / WIDTH))
    left, top = (w - crop_w) // 2, (h - crop_h) // 2
    image = image.crop((left, top, left + crop_w, top + crop_h)).resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    if clip.brightness != 1.0:
        image = Image.fromarray(np.clip(np.asarray(image, np.float32) * clip.brightness, 0, 255).astype(np.uint8))
    return image


def placed_logo(logo: Logo, reference: Image.Image) -> tuple[Image.Image, tuple[int, int], list[int]]:
    """The logo as it appears (variant, size, rotation), where to paste it and its box in the frame."""
    image = reference.copy()
    if logo.variant in ("black", "white"):
        ink = (20, 20, 20) if logo.variant == "black" else (250, 250, 250)
        image = Image.merge("RGBA", (*Image.new("RGB", image.size, ink).split(), image.getchannel("A")))
    scale = logo.size / max(image.size)
    image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    if logo.angle:
        image = image.rotate(logo.angle, resample=Image.Resampling.BICUBIC, expand=True)
    bbox = image.getchannel("A").point(lambda a: 255 if a > 40 else 0).getbbox() or (0, 0, *image.size)
    x, y = logo.center[0] - image.width // 2, logo.center[1] - image.height // 2
    return image, (x, y), [x + bbox[0], y + bbox[1], x + bbox[2], y + bbox[3]]


def caption_panel(caption: Caption) -> tuple[Image.Image, list[int]]:
    size = caption.size
    while True:  # shrink a long caption until its panel fits the frame
        font = load_font(size)
        left, top, right, bottom = font.getbbox(caption.text, stroke_width=2)
        if right - left + 28 <= WIDTH - 16 or size <= 14:
            break
        size -= 2
    w, h = right - left + 28, bottom - top + 20
    panel = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(panel)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=10, fill=(0, 0, 0, 170))
    draw.text((w / 2, h / 2), caption.text, font=font, fill="white", anchor="mm", stroke_width=2, stroke_fill="black")
    x = (WIDTH - w) // 2
    return panel, [x, caption.y, x + w, caption.y + h]


def soundtrack(clip: Clip, workdir: Path, jfk: Path | None) -> tuple[np.ndarray, float, tuple[float, float] | None]:
    """Audio samples, the clip's duration and when speech is heard."""
    if clip.audio == "real_speech":
        if jfk is None:
            raise SystemExit("the JFK clip needs --jfk PATH (openai/whisper tests/jfk.flac)")
        speech = decode_audio(jfk)
        total = np.zeros(int((len(speech) / AUDIO_RATE + 1.0) * AUDIO_RATE), np.float32)
        start = int(SPEECH_START_S * AUDIO_RATE)
        total[start : start + len(speech)] = speech
        return total, len(total) / AUDIO_RATE, (SPEECH_START_S, SPEECH_START_S + len(speech) / AUDIO_RATE)
    samples = int(CLIP_SECONDS * AUDIO_RATE)
    if clip.audio == "music":
        return chord_music(CLIP_SECONDS)[:samples], CLIP_SECONDS, None
    if clip.audio == "silence":
        return np.zeros(samples, np.float32), CLIP_SECONDS, None
    assert clip.speech is not None and clip.language is not None
    room = CLIP_SECONDS - SPEECH_START_S - 0.3
    speech = synthesize_speech(clip.speech, clip.language, workdir, max_seconds=room)
    audio = np.random.default_rng(len(clip.slug)).normal(0.0, 0.002, samples).astype(np.float32)
    start = int(SPEECH_START_S * AUDIO_RATE)
    audio[start : start + len(speech)] += speech
    return np.clip(audio, -1, 1), CLIP_SECONDS, (SPEECH_START_S, SPEECH_START_S + len(speech) / AUDIO_RATE)


def decode_audio(path: Path) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32)


def render(clip: Clip, path: Path, audio: np.ndarray, seconds: float, logos: dict[str, Image.Image]) -> dict:
    """Write the MP4 and return the boxes of what was drawn (logos, captions)."""
    base = background(clip)
    layers: list[tuple[float, float, Image.Image, tuple[int, int]]] = []
    logo_truth, caption_truth = [], []
    for logo in clip.logos:
        image, at, box = placed_logo(logo, logos[logo.brand])
        layers.append((logo.start_s, logo.end_s, image, at))
        if logo.hidden:
            cover = Image.new("RGBA", (int((box[2] - box[0]) * logo.hidden) + 12, box[3] - box[1] + 24))
            ImageDraw.Draw(cover).rounded_rectangle((0, 0, cover.width - 1, cover.height - 1), 8, (92, 64, 44, 255))
            layers.append((logo.start_s, logo.end_s, cover, (box[2] - cover.width + 12, box[1] - 12)))
        logo_truth.append(
            {
                "brand": logo.brand,
                "start_s": logo.start_s,
                "end_s": min(logo.end_s, seconds),
                "box": box,
                "variant": logo.variant,
                "size_px": logo.size,
                "angle": logo.angle,
                "hidden": logo.hidden,
                "tone": clip.tone,
            }
        )
    for caption in clip.captions:
        panel, box = caption_panel(caption)
        layers.append((caption.start_s, caption.end_s, panel, (box[0], box[1])))
        caption_truth.append(
            {"text": caption.text, "start_s": caption.start_s, "end_s": min(caption.end_s, seconds), "box": box}
        )
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = cast(av.VideoStream, container.add_stream(video_codec(), rate=FPS))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "28", "x264-params": "mbtree=0"}
        stream.codec_context.gop_size = 2 * FPS
        stream.thread_count = 1
        astream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for index in range(int(seconds * FPS)):
            t = index / FPS
            frame_image = base.copy()
            for start, end, image, at in layers:
                if start <= t < end:
                    frame_image.paste(image, at, image)
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        for start in range(0, len(audio), 1024):
            piece = np.ascontiguousarray(audio[start : start + 1024].reshape(1, -1))
            aframe = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
            aframe.sample_rate, aframe.pts, aframe.time_base = AUDIO_RATE, start, Fraction(1, AUDIO_RATE)
            container.mux(astream.encode(aframe))
        container.mux(astream.encode(None))
    return {"logos": logo_truth, "captions": caption_truth}


def mentions(clip: Clip) -> dict[str, dict[str, int]]:
    """Expected mentions per origin and brand, by COUNTING_RULE."""
    out: dict[str, dict[str, int]] = {o: {} for o in ("speech", "caption", "logo", "description", "hashtag", "comment")}
    for brand in clip.speech_brands:
        out["speech"][brand] = 1
    for brand in {b for c in clip.captions for b in c.brands}:
        out["caption"][brand] = 1
    for brand in {logo.brand for logo in clip.logos}:
        out["logo"][brand] = 1
    for brand in clip.description_brands:
        out["description"][brand] = 1
    for brand in {b for _, brands in clip.hashtags for b in brands}:
        out["hashtag"][brand] = 1
    for _, brands in clip.comments:
        for brand in brands:
            out["comment"][brand] = out["comment"].get(brand, 0) + 1
    return out


def build(jfk: Path | None) -> None:
    logos = {brand: reference_logo(brand) for brand in BRANDS}
    write_catalog(logos)
    out = EVAL_DIR / "set"
    (out / "media").mkdir(parents=True, exist_ok=True)
    created = int(dt.datetime.fromisoformat(f"{DAY}T12:00:00+00:00").timestamp())
    videos, comments, truth = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for number, clip in enumerate(CLIPS, start=1):
            video_id = str(VIDEO_ID_BASE + number)
            audio, seconds, spoken = soundtrack(clip, Path(tmp), jfk)
            drawn = render(clip, out / "media" / f"{clip.slug}.mp4", audio, seconds, logos)
            tags = [clip.hashtag, *[t for t, _ in clip.hashtags]]
            videos.append(
                {
                    "id": video_id,
                    "username": f"eval_{clip.slug}",
                    "create_time": created + number * 60,
                    "video_description": clip.description,
                    "hashtag_names": tags,
                    "region_code": "US",
                    "view_count": 1000 * number,
                    "like_count": 50 * number,
                    "comment_count": len(clip.comments),
                    "share_count": number,
                    "video_duration": seconds,
                    "media": f"media/{clip.slug}.mp4",
                }
            )
            comment_truth = []
            for index, (text, brands) in enumerate(clip.comments):
                comment_id = str(COMMENT_ID_BASE + number * 100 + index)
                comments.append(
                    {
                        "id": comment_id,
                        "video_id": video_id,
                        "parent_comment_id": video_id,
                        "text": text,
                        "like_count": index,
                        "reply_count": 0,
                        "create_time": created + number * 60 + 30 + index,
                    }
                )
                comment_truth.append({"id": comment_id, "text": text, "brands": list(brands)})
            truth.append(
                {
                    "id": video_id,
                    "slug": clip.slug,
                    "hashtag": clip.hashtag,
                    "day": DAY,
                    "media": f"media/{clip.slug}.mp4",
                    "duration_s": seconds,
                    "background": clip.background,
                    "tone": clip.tone,
                    "audio": clip.audio,
                    "notes": clip.notes,
                    "language": clip.language,
                    "speech": None
                    if spoken is None or clip.speech is None
                    else {
                        "text": clip.speech,
                        "start_s": round(spoken[0], 3),
                        "end_s": round(spoken[1], 3),
                        "brands": list(clip.speech_brands),
                        "sentiment": clip.sentiment,
                        "voice": "human" if clip.audio == "real_speech" else f"espeak-ng {clip.language}",
                    },
                    "captions": [
                        {**c, "brands": list(plan.brands)}
                        for c, plan in zip(drawn["captions"], clip.captions, strict=True)
                    ],
                    "logos": drawn["logos"],
                    "description": {"text": clip.description, "brands": list(clip.description_brands)},
                    "hashtags": [{"tag": clip.hashtag, "brands": []}]
                    + [{"tag": t, "brands": list(b)} for t, b in clip.hashtags],
                    "comments": comment_truth,
                    "mentions": mentions(clip),
                }
            )
    (out / "videos.jsonl").write_text("".join(json.dumps(v) + "\n" for v in videos), encoding="utf-8")
    (out / "comments.jsonl").write_text("".join(json.dumps(c) + "\n" for c in comments), encoding="utf-8")
    ground_truth = {
        "format": 1,
        "day": DAY,
        "hashtags": list(HASHTAGS),
        "frame": {"width": WIDTH, "height": HEIGHT, "fps": FPS},
        "counting_rule": COUNTING_RULE,
        "videos": truth,
    }
    (out / "ground_truth.json").write_text(json.dumps(ground_truth, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {len(videos)} clips to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jfk", type=Path, help="openai/whisper tests/jfk.flac (public domain)")
    build(parser.parse_args().jfk)


if __name__ == "__main__":
    main()
