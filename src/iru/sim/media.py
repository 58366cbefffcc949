"""Synthetic release media for the world simulator: abstract images, re-upload edits, PDQ.

An outlet publishes "releases" (posters, video thumbnails); supporters re-upload them
with small edits (crop, resize, JPEG re-encode, a corner watermark). Known-content
hashing has to catch those copies, so this module draws the releases, makes the
edited copies and computes the hashes an IRU would see: SHA-256 and MD5 of the file
bytes and PDQ of the pixels.

Everything is abstract: gradients, coloured shapes and a "logo" block made of
geometric shapes, no text and no real symbol. Every function is pure and
deterministic: the same arguments give byte-identical PNG output (no timestamps, no
metadata, fixed compression level) on the same numpy, Pillow and pdqhash versions.

Distances under PDQ (256 bits; GIFCT's usual match threshold is 31), measured over
400 releases of 20 outlets: two releases of one outlet are a median 120 bits apart
(95 % of pairs more than 80), of different outlets 128. The edits move a release a
median 2 bits (reencode), 10 (resize, overlay) and 14 (crop); every resize and
re-encode, 99 % of crops and 97 % of overlays stay within 31, and no edit leaves the
hash unchanged (see `make_variant`). Crops are small because PDQ does not survive
more: a centred 4 % crop moves it a median 42 bits, 10 % about 93. A mirrored copy
is not offered: a flip moves PDQ's plain hash about 128 bits.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, get_args

import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageOps

VariantKind = Literal["original", "crop", "resize", "reencode", "overlay"]
VARIANT_KINDS: Final[tuple[VariantKind, ...]] = get_args(VariantKind)

PNG_COMPRESS_LEVEL: Final = 6
"""zlib level for every PNG written here; fixed so that bytes are reproducible."""

_STYLE_SALT: Final = 0x5E1EA5E
_RELEASE_SALT: Final = 0xC0FFEE
_VARIANT_SALT: Final = 0xED17

_PDQ_HEX: Final = re.compile(r"[0-9a-fA-F]{64}")

Color = tuple[int, int, int]


def _rng(*parts: int) -> np.random.Generator:
    """A generator seeded from several integers (any sign), independent per tuple."""
    return np.random.default_rng([p % (1 << 64) for p in parts])


def _hsv(h: float, s: float, v: float) -> Color:
    """An RGB colour from hue (turns), saturation and value in 0..1."""
    i = int(h * 6.0) % 6
    f = h * 6.0 - math.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    r, g, b = ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))[i]
    return (round(r * 255), round(g * 255), round(b * 255))


@dataclass(frozen=True)
class _Style:
    """What the releases of one outlet share: palette and logo block."""

    palette: tuple[Color, ...]
    logo_corner: int  # 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left
    logo_shapes: tuple[int, ...]  # shape codes, see _draw_shape
    logo_plate: Color
    logo_ink: tuple[Color, ...]


def _style(outlet_style: int) -> _Style:
    rng = _rng(_STYLE_SALT, outlet_style)
    hue = float(rng.random())
    spread = float(rng.uniform(0.05, 0.4))
    # Dark, middle and light tones, so the luma (what PDQ sees) has contrast.
    values = (0.18, 0.35, 0.55, 0.75, 0.95)
    palette = tuple(
        _hsv((hue + spread * float(rng.uniform(-1.0, 1.0))) % 1.0, float(rng.uniform(0.35, 0.9)), v)
        for v in values
    )
    plate = _hsv(hue, 0.15, float(rng.choice([0.1, 0.92])))
    ink = tuple(_hsv((hue + k * 0.33) % 1.0, 0.8, 0.6) for k in range(3))
    return _Style(
        palette=palette,
        logo_corner=int(rng.integers(4)),
        logo_shapes=tuple(int(x) for x in rng.integers(0, 5, size=3)),
        logo_plate=plate,
        logo_ink=ink,
    )


def _polygon(cx: float, cy: float, r: float, n: int, turn: float) -> list[tuple[float, float]]:
    return [
        (
            cx + r * math.cos(turn + 2 * math.pi * k / n),
            cy + r * math.sin(turn + 2 * math.pi * k / n),
        )
        for k in range(n)
    ]


def _draw_shape(
    draw: ImageDraw.ImageDraw,
    code: int,
    cx: float,
    cy: float,
    r: float,
    *,
    fill: tuple[int, int, int, int],
    turn: float = 0.0,
) -> None:
    """Shape codes: 0 disc, 1 square, 2 triangle, 3 diamond, 4 ring."""
    box = (cx - r, cy - r, cx + r, cy + r)
    if code == 0:
        draw.ellipse(box, fill=fill)
    elif code == 1:
        draw.polygon(_polygon(cx, cy, r * 1.3, 4, turn + math.pi / 4), fill=fill)
    elif code == 2:
        draw.polygon(_polygon(cx, cy, r * 1.2, 3, turn - math.pi / 2), fill=fill)
    elif code == 3:
        draw.polygon(_polygon(cx, cy, r * 1.2, 4, turn), fill=fill)
    else:
        draw.ellipse(box, outline=fill, width=max(2, round(r / 3)))


def _gradient(width: int, height: int, a: Color, b: Color, angle: float) -> Image.Image:
    """A linear gradient from colour a to colour b along direction `angle` (radians)."""
    xs = np.linspace(-0.5, 0.5, width, dtype=np.float32) * math.cos(angle)
    ys = np.linspace(-0.5, 0.5, height, dtype=np.float32) * (height / width) * math.sin(angle)
    low = float(min(xs[0], xs[-1]) + min(ys[0], ys[-1]))
    high = float(max(xs[0], xs[-1]) + max(ys[0], ys[-1]))
    scale = 255.0 / max(high - low, 1e-6)
    t = ((xs - low) * scale)[None, :] + (ys * scale)[:, None]
    luma = Image.fromarray(np.clip(t + 0.5, 0, 255).astype(np.uint8), "L")
    return ImageOps.colorize(luma, a, b)


def _draw_logo(draw: ImageDraw.ImageDraw, style: _Style, width: int, height: int) -> None:
    cell = max(4.0, height * 0.04)
    n = len(style.logo_shapes)
    w, h = cell * (2 * n + 1), cell * 3
    margin = height * 0.05
    x0 = margin if style.logo_corner in (0, 3) else width - margin - w
    y0 = margin if style.logo_corner in (0, 1) else height - margin - h
    draw.rounded_rectangle(
        (x0, y0, x0 + w, y0 + h), radius=cell * 0.5, fill=(*style.logo_plate, 255)
    )
    for k, code in enumerate(style.logo_shapes):
        ink = style.logo_ink[k % len(style.logo_ink)]
        _draw_shape(draw, code, x0 + cell * (2 * k + 1.5), y0 + h / 2, cell * 0.8, fill=(*ink, 255))


def render_release(seed: int, outlet_style: int, size: tuple[int, int] = (640, 360)) -> Image.Image:
    """An abstract release image of one outlet: its palette and logo block, a layout of its own.

    `seed` picks the release, `outlet_style` the outlet's look; `size` is (width, height).
    """
    width, height = size
    if width < 32 or height < 32:
        raise ValueError(f"image size {size} is too small (minimum 32x32)")
    style = _style(outlet_style)
    rng = _rng(_RELEASE_SALT, outlet_style, seed)
    pal = style.palette

    def colour() -> Color:
        return pal[int(rng.integers(len(pal)))]

    i, j = rng.choice(len(pal), size=2, replace=False)
    image = _gradient(width, height, pal[int(i)], pal[int(j)], float(rng.uniform(0, 2 * math.pi)))
    draw = ImageDraw.Draw(image, "RGBA")
    scale = min(width, height)
    for _ in range(int(rng.integers(5, 9))):  # large shapes: the layout PDQ sees
        code = int(rng.integers(0, 5))
        cx = float(rng.uniform(-0.1, 1.1)) * width
        cy = float(rng.uniform(-0.1, 1.1)) * height
        r = float(rng.uniform(0.15, 0.45)) * scale
        alpha = int(rng.integers(170, 256))
        turn = float(rng.uniform(0, math.pi))
        _draw_shape(draw, code, cx, cy, r, fill=(*colour(), alpha), turn=turn)
    if rng.random() < 0.6:  # a band of stripes
        stripe = max(3.0, scale * float(rng.uniform(0.04, 0.08)))
        band_y = float(rng.uniform(0.2, 0.8)) * height
        fill = (*colour(), int(rng.integers(90, 160)))
        for k in range(int(width / stripe / 2) + 1):
            x = k * 2 * stripe
            draw.rectangle((x, band_y - stripe * 1.5, x + stripe, band_y + stripe * 1.5), fill=fill)
    for _ in range(int(rng.integers(3, 7))):  # small accents in the darkest or lightest tone
        code = int(rng.integers(0, 5))
        cx, cy = float(rng.uniform(0.05, 0.95)) * width, float(rng.uniform(0.05, 0.95)) * height
        r = float(rng.uniform(0.03, 0.07)) * scale
        accent = pal[0] if rng.random() < 0.5 else pal[-1]
        turn = float(rng.uniform(0, math.pi))
        _draw_shape(draw, code, cx, cy, r, fill=(*accent, 255), turn=turn)
    _draw_logo(draw, style, width, height)
    return image


def _crop(image: Image.Image, rng: np.random.Generator, attempt: int) -> Image.Image:
    """Trim 0.8-1.6 % of width and of height, split unevenly between opposite edges."""
    width, height = image.size
    fx, fy = (float(f) for f in rng.uniform(0.008, 0.016, size=2))
    sx, sy = (float(f) for f in rng.uniform(0.3, 0.7, size=2))
    left, top = round(width * fx * sx), round(height * fy * sy)
    right = width - max(1, round(width * fx * (1 - sx)))
    bottom = height - max(1, round(height * fy * (1 - sy)))
    return image.crop((left, top, right, bottom))


def _resize(image: Image.Image, rng: np.random.Generator, attempt: int) -> Image.Image:
    """Scale by 0.5-0.8, as a platform's downscale does."""
    factor = float(rng.uniform(0.5, 0.8))
    new = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(new, Image.Resampling.BILINEAR, reducing_gap=None)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, subsampling=2)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def _reencode(image: Image.Image, rng: np.random.Generator, attempt: int) -> Image.Image:
    """JPEG at quality 60-80; a retry adds a generation, each 10 points lower."""
    out = image
    for generation in range(attempt + 1):
        out = _jpeg(out, max(10, int(rng.integers(60, 81)) - 10 * generation))
    return out


def _overlay(image: Image.Image, rng: np.random.Generator, attempt: int) -> Image.Image:
    """A semi-transparent watermark box in a corner, or a colour bar along the top or bottom."""
    out = image.copy()
    width, height = out.size
    draw = ImageDraw.Draw(out, "RGBA")
    red, green, blue = (int(c) for c in rng.integers(0, 256, size=3))
    fill = (red, green, blue, int(rng.integers(80, 141)))
    if rng.random() < 0.5:
        w = width * float(rng.uniform(0.08, 0.14))
        h = height * float(rng.uniform(0.06, 0.1))
        corner = int(rng.integers(4))
        margin = height * 0.03
        x0 = margin if corner in (0, 3) else width - margin - w
        y0 = margin if corner in (0, 1) else height - margin - h
        draw.rectangle((x0, y0, x0 + w, y0 + h), fill=fill)
    else:
        h = height * float(rng.uniform(0.03, 0.06))
        y0 = 0.0 if rng.random() < 0.5 else height - h
        draw.rectangle((0, y0, width, y0 + h), fill=fill)
    return out


_Edit = Callable[[Image.Image, np.random.Generator, int], Image.Image]
_EDITS: Final[dict[str, _Edit]] = {
    "crop": _crop,
    "resize": _resize,
    "reencode": _reencode,
    "overlay": _overlay,
}
_ATTEMPTS: Final = 6


def make_variant(image: Image.Image, kind: VariantKind, seed: int) -> Image.Image:
    """A re-upload of `image` with one edit; "original" returns an unchanged RGB copy.

    crop: 0.8-1.6 % of width and of height trimmed, split unevenly between opposite
    edges (PDQ does not survive larger crops, see the module docstring); resize:
    scaled by 0.5-0.8; reencode: through JPEG at quality 60-80 (4:2:0) and back to
    RGB; overlay: a semi-transparent box (8-14 % by 6-10 %, alpha 0.3-0.55) in a
    corner, or a bar 3-6 % high along the top or bottom edge.

    A copy is a different file, so a variant whose PDQ hash equals the original's is
    not returned: the edit is drawn again, up to six times (a re-encode gains a
    generation at 10 points lower quality each time; about a third of single
    re-encodes leave PDQ unchanged), and as a last resort (1 in 2000 re-encodes) the
    copy loses its last pixel row and column. Most edits move the hash 1-31 bits; a
    few percent go further, as some re-uploads do evade hash matching.
    """
    rgb = image.convert("RGB")
    if kind == "original":
        return rgb.copy()
    edit = _EDITS.get(kind)
    if edit is None:
        raise ValueError(f"unknown variant kind {kind!r}; expected one of {VARIANT_KINDS}")
    rng = _rng(_VARIANT_SALT, VARIANT_KINDS.index(kind), seed)
    reference, _ = pdq_hex(rgb)
    out = rgb
    for attempt in range(_ATTEMPTS):
        out = edit(rgb, rng, attempt)
        if pdq_hex(out)[0] != reference:
            return out
    return out.crop((0, 0, out.width - 1, out.height - 1))


def pdq_hex(image: Image.Image) -> tuple[str, int]:
    """PDQ of the image: 64 lowercase hex digits and the quality (0-100).

    The hex is the 256 bits with bit 255 first, as ThreatExchange's `pdq_hasher`
    writes them; the hash is of the full-size RGB pixels, with no downscale first.
    """
    pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
    bits, quality = pdqhash.compute(pixels)
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality)


def pdq_distance(a_hex: str, b_hex: str) -> int:
    """Hamming distance (0-256) between two PDQ hashes given as 64 hex digits."""
    for value in (a_hex, b_hex):
        if not _PDQ_HEX.fullmatch(value):
            raise ValueError(f"a PDQ hash is 64 hex digits, not {value!r}")
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


@dataclass(frozen=True)
class MediaFile:
    """One image file as a platform would store it: PNG bytes and the hashes of it."""

    media_id: str
    release_id: str
    kind: VariantKind
    png: bytes
    width: int
    height: int
    sha256: str
    md5: str
    pdq: str
    pdq_quality: int


def png_bytes(image: Image.Image) -> bytes:
    """The image as PNG, reproducibly: RGB, fixed zlib level, no metadata chunks."""
    clean = image.convert("RGB")
    clean.info = {}  # nothing carried over from a decoded JPEG (ICC profile, dpi, ...)
    buffer = io.BytesIO()
    clean.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL, optimize=False)
    return buffer.getvalue()


def encode_media(
    image: Image.Image, media_id: str, release_id: str, kind: VariantKind
) -> MediaFile:
    """Encode the image as PNG and hash it: SHA-256 and MD5 of the bytes, PDQ of the pixels."""
    rgb = image.convert("RGB")
    data = png_bytes(rgb)
    pdq, quality = pdq_hex(rgb)
    return MediaFile(
        media_id=media_id,
        release_id=release_id,
        kind=kind,
        png=data,
        width=rgb.width,
        height=rgb.height,
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        pdq=pdq,
        pdq_quality=quality,
    )
