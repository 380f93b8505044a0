"""A logo half behind a caption is found once the caption is taken off the frame.

Real parts only: the evaluation set's real logo files, scikit-image's bundled real photos, captions drawn as
short videos show them (white letters, dark outline, a translucent panel) and read by the caption stage's own
EasyOCR reader, whose text boxes are all the logo stage is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data as skimage_data
from PIL import Image, ImageDraw, ImageFont

from listening_pipeline.lib.boxes import iou
from listening_pipeline.lib.caption_spans import caption_rows
from listening_pipeline.lib.logos.see_through import find_panel, see_through, text_boxes_at
from listening_pipeline.lib.logos.verification import LogoVerifier
from listening_pipeline.lib.logos.yolo import bundled_font
from listening_pipeline.lib.media.frames import KeptFrame

LOGOS = Path(__file__).resolve().parent.parent / "eval" / "logos"


def _photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(skimage_data, name)()).convert("RGB").resize((360, 640))


def _black_apple(photo: Image.Image, size: int, at: tuple[int, int]) -> tuple[float, float, float, float]:
    with Image.open(LOGOS / "apple.png") as opened:
        alpha = opened.convert("RGBA").getchannel("A")
    scale = size / max(alpha.size)
    alpha = alpha.resize((round(alpha.width * scale), round(alpha.height * scale)), Image.Resampling.LANCZOS)
    photo.paste(Image.new("RGB", alpha.size, (15, 15, 15)), at, alpha)
    x0, y0, x1, y1 = alpha.point(lambda a: 255 if a > 40 else 0).getbbox() or (0, 0, *alpha.size)
    w, h = photo.size
    return ((at[0] + x0) / w, (at[1] + y0) / h, (at[0] + x1) / w, (at[1] + y1) / h)


def _caption(photo: Image.Image, text: str, top: int, opacity: float) -> tuple[int, int, int, int]:
    """A caption in the short-video style drawn over ``photo``; returns its panel's box in pixels."""
    font = ImageFont.truetype(str(bundled_font()), 26)
    left, upper, right, lower = font.getbbox(text, stroke_width=2)
    w, h = right - left + 28, lower - upper + 20
    x = (photo.width - w) // 2
    panel = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(panel)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=10, fill=(0, 0, 0, round(255 * opacity)))
    draw.text((w / 2, h / 2), text, font=font, fill="white", anchor="mm", stroke_width=2, stroke_fill="black")
    layered = photo.convert("RGBA")
    layered.alpha_composite(panel, (x, top))
    photo.paste(layered.convert("RGB"))
    return (x, top, x + w, top + h)


@pytest.fixture(scope="module")
def reader():
    from listening_pipeline.lib import weights
    from listening_pipeline.lib.captions import TextReader

    return TextReader(("en",), weights.resolve_easyocr_models(None).path)


def _text_boxes(reader, frame: Image.Image):
    rows = caption_rows(reader.read([KeptFrame(image=frame, t_s=0.0, t_until_s=1.0, dhash_hex="")]), reader.name)
    return text_boxes_at(rows, 0.0)


def test_a_black_logo_half_under_a_translucent_caption_is_found_with_the_caption_taken_off(reader):
    photo = _photo("rocket")
    truth = _black_apple(photo, 140, (40, 400))
    verifier = LogoVerifier({name: [LOGOS / f"{name.lower()}.png"] for name in ("Apple", "Puma", "Shell")})
    loose = (truth[0] - 0.02, truth[1] + 0.01, truth[2] + 0.01, truth[3] + 0.02)  # detector boxes are loose
    assert [m.brand for m in verifier.verify(photo, [loose])] == ["Apple"], "in the open the logo is found"
    _caption(photo, "Morning coffee time", 480, opacity=0.67)  # over the logo's lower part

    assert verifier.verify(photo, [loose]) == [], "behind the caption the logo fits no reference"
    boxes = _text_boxes(reader, photo)
    assert boxes, "the caption stage reads the caption"
    kept = verifier.verify(see_through(photo, boxes), [loose])

    assert [m.brand for m in kept] == ["Apple"]
    assert iou(kept[0].box, truth) >= 0.6


@pytest.mark.parametrize("opacity", [0.5, 0.67, 0.8])
def test_the_panel_and_its_opacity_are_measured_where_its_edges_cross_the_picture(reader, opacity):
    photo = _photo("chelsea")
    x0, y0, x1, y1 = _caption(photo, "Wait for it", 300, opacity)
    [box] = _text_boxes(reader, photo)
    w, h = photo.size
    text = (int(box[0] * w), int(box[1] * h), int(np.ceil(box[2] * w)), int(np.ceil(box[3] * h)))
    panel = find_panel(np.asarray(photo).astype(np.float32), text)

    assert panel is not None
    assert abs(panel.opacity - opacity) <= 0.06, panel
    assert abs(panel.y0 - y0) <= 2 and abs(panel.y1 - y1) <= 2, (panel, (x0, y0, x1, y1))


def test_an_opaque_panel_hides_what_is_behind_it_and_is_left_as_it_is(reader):
    photo = _photo("chelsea")
    x0, y0, x1, y1 = _caption(photo, "Wait for it", 300, opacity=1.0)
    cleared = np.asarray(see_through(photo, _text_boxes(reader, photo))).astype(int)
    original = np.asarray(photo).astype(int)

    assert np.abs(cleared - original).max() > 100, "the letters are painted over"
    panel_ground = cleared[y0 + 2 : y0 + 6, x0 + 12 : x1 - 12]
    assert panel_ground.max() < 40, "the panel is not brightened into a picture that was never there"


def test_dark_print_on_a_light_page_is_part_of_the_picture(reader):
    page = Image.fromarray(skimage_data.page()).convert("RGB")  # at its own size: its print is small
    boxes = _text_boxes(reader, page)
    assert boxes, "the reader finds the page's lines"

    assert np.array_equal(np.asarray(see_through(page, boxes)), np.asarray(page))
    assert see_through(page, []) is page
