"""A brand team's real logo files check the boxes the detector proposes on real photos.

The logos are the evaluation set's real brand files (eval/logos, sources in eval/SOURCES.md) and
the photos are scikit-image's bundled real photographs: nothing here was drawn for the test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data as skimage_data
from PIL import Image

from listening_pipeline.lib.logos.verification import LogoVerifier

LOGOS = Path(__file__).resolve().parent.parent / "eval" / "logos"
BADGES = Path(__file__).resolve().parent.parent / "listening_pipeline" / "data" / "logos"  # the sample catalog's


def _photo(name: str, brightness: float = 1.0) -> Image.Image:
    pixels = getattr(skimage_data, name)()
    image = Image.fromarray(pixels).convert("RGB").resize((360, 640))
    return Image.fromarray(np.clip(np.asarray(image, np.float32) * brightness, 0, 255).astype(np.uint8))


def _print(
    photo: Image.Image, logo: str, ink: tuple[int, int, int], size: int, at: tuple[int, int], angle: float = 0.0
):
    """The logo printed in one ink (as on a shirt or a sign) onto the photo; returns its box as fractions."""
    with Image.open(LOGOS / f"{logo}.png") as opened:
        reference = opened.convert("RGBA")
    inked = Image.merge("RGBA", (*Image.new("RGB", reference.size, ink).split(), reference.getchannel("A")))
    scale = size / max(inked.size)
    inked = inked.resize((round(inked.width * scale), round(inked.height * scale)), Image.Resampling.LANCZOS)
    inked = inked.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    visible = inked.getchannel("A").point(lambda a: 255 if a > 40 else 0).getbbox()
    assert visible is not None
    x0, y0, x1, y1 = visible
    photo.paste(inked, at, inked)
    w, h = photo.size
    return ((at[0] + x0) / w, (at[1] + y0) / h, (at[0] + x1) / w, (at[1] + y1) / h)


@pytest.fixture(scope="module")
def verifier() -> LogoVerifier:
    return LogoVerifier({name: [LOGOS / f"{name.lower()}.png"] for name in ("Apple", "Puma", "Shell", "Target")})


def test_a_black_logo_on_a_light_photo_is_kept_under_its_own_brand(verifier):
    photo = _photo("text")
    truth = _print(photo, "apple", (20, 20, 20), 140, (110, 200))
    nudged = (truth[0] - 0.02, truth[1] + 0.01, truth[2] + 0.01, truth[3] + 0.02)  # detector boxes are loose

    kept = verifier.verify(photo, [nudged])

    assert [m.brand for m in kept] == ["Apple"]
    assert kept[0].score >= verifier.min_score
    assert _iou(kept[0].box, truth) >= 0.7  # snapped onto the logo


def test_a_white_rotated_logo_on_a_dark_photo_keeps_its_brand_when_the_detector_named_another(verifier):
    photo = _photo("hubble_deep_field", brightness=0.8)
    truth = _print(photo, "puma", (250, 250, 250), 120, (120, 330), angle=20)

    kept = verifier.verify(photo, [truth])  # whatever the detector called it, the box is checked against every brand

    assert [m.brand for m in kept] == ["Puma"]


def test_boxes_on_things_that_are_not_logos_are_dropped(verifier):
    coffee = _photo("coffee")
    stars = _photo("hubble_deep_field")
    cup, saucer_spoon, galaxy = (0.05, 0.0, 0.95, 0.45), (0.55, 0.55, 0.95, 0.8), (0.3, 0.4, 0.6, 0.55)

    assert verifier.verify(coffee, [cup, saucer_spoon]) == []
    assert verifier.verify(stars, [galaxy]) == []


def test_a_colour_badge_is_not_taken_for_another_brands_badge_of_the_same_shape():
    """Red "Fizzly" and brown "Café Brisa" are both round badges with a word inside: alike in grey, not in colour."""
    photo = _photo("coffee")
    with Image.open(BADGES / "fizzly.png") as opened:
        badge = opened.convert("RGBA").resize((120, 120), Image.Resampling.LANCZOS)
    photo.paste(badge, (200, 420), badge)
    box = (200 / 360, 420 / 640, 320 / 360, 540 / 640)

    only_the_other_brand = LogoVerifier({"Café Brisa": [BADGES / "cafe_brisa.png"]})
    both = LogoVerifier({"Café Brisa": [BADGES / "cafe_brisa.png"], "Fizzly": [BADGES / "fizzly.png"]})

    assert only_the_other_brand.verify(photo, [box]) == []
    assert [m.brand for m in both.verify(photo, [box])] == ["Fizzly"]


def _iou(a, b) -> float:
    from listening_pipeline.lib.boxes import iou

    return iou(a, b)


def test_a_logo_a_third_hidden_is_kept_under_its_brand_with_the_whole_logo_box(verifier):
    """A hand or a caption panel over part of a logo: a part of the reference fits, the box is the whole logo's."""
    photo = _photo("coffee")
    truth = _print(photo, "target", (204, 0, 0), 130, (120, 380))
    x0, y0, x1, y1 = (truth[0] * 360, truth[1] * 640, truth[2] * 360, truth[3] * 640)
    cover = _photo("brick").crop((0, 0, round((x1 - x0) / 3), round(y1 - y0)))
    photo.paste(cover, (round(x1 - cover.width), round(y0)))  # the right third hidden under a brick wall

    kept = verifier.verify(photo, [truth])

    assert [m.brand for m in kept] == ["Target"]
    assert kept[0].part != "whole", "the whole logo should not fit once a third of it is hidden"
    assert _iou(kept[0].box, truth) >= 0.5, "the box should be the whole logo's, hidden part included"


def test_a_flat_patch_fits_no_logo(verifier):
    """Correlation means nothing on a flat patch and OpenCV answers 1.0 there: a box inside scikit-image's black
    horse silhouette "fitted" every brand at 1.0. Flat placements now score 0, and a fit must be one ink."""
    horse = Image.fromarray((skimage_data.horse() * 255).astype(np.uint8)).convert("RGB").resize((360, 640))
    inside_its_body = (0.31, 0.3, 0.68, 0.47)  # where the detector proposed a box on it

    assert verifier.verify(horse, [inside_its_body]) == []
    grey = np.asarray(horse.convert("L"), np.float32)
    best = verifier.best_match(grey, inside_its_body)
    assert best is None or best.score < 0.9


@pytest.mark.parametrize("name", ["microaneurysms", "text", "coins", "cell"])
def test_textures_that_fit_a_silhouette_are_not_one_ink_prints(verifier, name):
    """Real photos with no logo, boxes all over them: a retina scan or a page of text fits the Puma's outline
    (shape and outline detail passed them before the one-ink check), none of them is a print of it."""
    photo = _photo(name)
    boxes = [
        (x, y, x + side, y + side * 360 / 640)
        for side in (0.2, 0.3, 0.45)
        for x in np.arange(0.0, 1.0 - side + 1e-9, side / 2)
        for y in np.arange(0.0, 1.0 - side * 360 / 640 + 1e-9, side * 360 / 640 / 2)
    ]

    assert [(m.brand, round(m.score, 2)) for m in verifier.verify(photo, boxes[:40])] == []
    assert [(m.brand, round(m.score, 2)) for m in verifier.verify(photo, boxes[40:80])] == []


EVAL_SET = LOGOS.parent / "set"
EVAL_BRANDS = ("Apple", "Puma", "Shell", "Spotify", "Target", "scikit-image")


@pytest.fixture(scope="module")
def eval_frames():
    """The evaluation set's clips as the logo stage reads them: kept frames, stored as JPEGs."""
    import json

    from listening_pipeline.lib.media.decode import decode_video
    from listening_pipeline.lib.media.worker import as_stored

    truth = json.loads((EVAL_SET / "ground_truth.json").read_text(encoding="utf-8"))
    return truth, {
        v["slug"]: [(f.t_s, as_stored(f.image)) for f in decode_video(EVAL_SET / v["media"]).frames]
        for v in truth["videos"]
    }


def test_the_evaluation_sets_real_logos_are_kept_from_a_detectors_loose_boxes(eval_frames):
    """The verifier alone on the set's 13 drawn real logos (black, white, colour, rotated, small, partly hidden),
    each given its drawn box loosened as a detector's is. Measured: 10 of 13 kept under their brand on the
    logo (lost: a black Apple a caption panel half covers, and two Pumas the verifier holds only from the
    detector's own, differently placed boxes: `make eval` finds 11). A floor, so CI sees a regression."""
    truth, frames = eval_frames
    verifier = LogoVerifier({b: [LOGOS / f"{b.lower()}.png"] for b in EVAL_BRANDS})
    width, height = truth["frame"]["width"], truth["frame"]["height"]
    kept, lost = 0, []
    for video in truth["videos"]:
        for logo in video["logos"]:
            x0, y0, x1, y1 = logo["box"]
            pad_x, pad_y = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
            loose = ((x0 - pad_x) / width, (y0 - pad_y) / height, (x1 + pad_x) / width, (y1 + pad_y) / height)
            exact = (x0 / width, y0 / height, x1 / width, y1 / height)
            on_screen = [image for t, image in frames[video["slug"]] if logo["start_s"] <= t <= logo["end_s"]]
            found = [m for m in verifier.verify(on_screen[-1], [loose]) if m.brand == logo["brand"]]
            if found and _iou(found[0].box, exact) >= 0.5:
                kept += 1
            else:
                lost.append(f"{video['slug']}/{logo['brand']}")

    assert kept >= 10, f"kept {kept} of 13; lost {lost}"


def test_no_logo_is_found_on_the_evaluation_sets_clips_without_one(eval_frames):
    truth, frames = eval_frames
    boxes = [(x, y, x + 0.3, y + 0.3 * 360 / 640) for x in (0.0, 0.2, 0.4, 0.6) for y in np.arange(0.0, 0.84, 0.12)]
    six = LogoVerifier({b: [LOGOS / f"{b.lower()}.png"] for b in EVAL_BRANDS})
    for video in truth["videos"]:
        if not video["logos"]:
            for _, image in frames[video["slug"]]:
                assert six.verify(image, boxes) == [], video["slug"]


def test_the_logo_files_alone_find_most_of_the_evaluation_sets_logos_and_none_where_there_is_none(eval_frames):
    """No trained detector at all: the whole-frame search proposes places from the six logo files and the verifier
    judges them, on every kept frame of the set. Measured: 10 of 13 logos found (the search misses a white Puma
    on a dark photo that the detector proposes; a Puma and an Apple a quarter and a half hidden are lost),
    nothing on the clips without a logo and no second brand anywhere. What the detector adds is on top
    (`make eval`). Floors, so CI sees a regression; the search does not depend on any training."""
    from listening_pipeline.lib.logos.search import LogoSearch

    truth, frames = eval_frames
    references = {b: [LOGOS / f"{b.lower()}.png"] for b in EVAL_BRANDS}
    search, verifier = LogoSearch(references), LogoVerifier(references)
    width, height = truth["frame"]["width"], truth["frame"]["height"]
    found, false = set(), []
    for video in truth["videos"]:
        for t, image in frames[video["slug"]]:
            for match in verifier.verify(image, [p.box for p in search.propose(image)]):
                drawn = [
                    logo
                    for logo in video["logos"]
                    if logo["brand"] == match.brand and logo["start_s"] - 1 <= t <= logo["end_s"] + 1
                ]
                if not drawn:
                    false.append(f"{video['slug']}/{match.brand}@{t}")
                for logo in drawn:
                    x0, y0, x1, y1 = logo["box"]
                    if _iou(match.box, (x0 / width, y0 / height, x1 / width, y1 / height)) >= 0.5:
                        found.add((video["slug"], logo["brand"]))
    assert false == []
    missed = [f"{v['slug']}/{logo['brand']}" for v in truth["videos"] for logo in v["logos"]]
    assert len(found) >= 10, [m for m in missed if tuple(m.split("/")) not in found]


def test_a_one_ink_logo_printed_in_a_colour_is_judged_by_its_shape(verifier):
    """The Apple file is black; on merchandise it is printed red or white. Its colour is no evidence either way:
    before, a red print was measured against the file's black and dropped (Lab distance 132, limit 30)."""
    photo = _photo("text")
    box = _print(photo, "apple", (200, 30, 40), 140, (110, 200))
    kept = verifier.verify(photo, [box])
    assert [m.brand for m in kept] == ["Apple"]
