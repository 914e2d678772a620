"""Draw the TOM add-in's icons (static/images/icons/tom-16/32/64/80.png): run once, commit the PNGs.

    pip install pillow && python -m xl_addin.officejs.make_icons

A navy rounded square with the three RAG colours (red, amber, green) and, from 32 px up, "TOM" in
white: the add-in's own mark, not xlwings' default icons. Drawn at 8x and scaled down for smooth
edges. Pillow is needed only here, never by the server (it serves the committed files).
"""

from __future__ import annotations

from pathlib import Path

ICONS = Path(__file__).resolve().parent / "static" / "images" / "icons"
SIZES = (16, 32, 64, 80)
NAVY, WHITE = (31, 56, 100, 255), (255, 255, 255, 255)
RAG = ((192, 0, 0, 255), (255, 192, 0, 255), (0, 158, 73, 255))  # the workbook's R, A, G fills
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf", "arialbd.ttf")


def _font(size: int):
    from PIL import ImageFont

    for name in FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def draw(size: int):
    """One icon, ``size`` pixels square."""
    from PIL import Image, ImageDraw

    scale = 8
    big = size * scale
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 6, fill=NAVY)
    pad = big // 8
    if size < 32:  # too small for letters: three RAG bars
        width = (big - 2 * pad) // 3
        for i, colour in enumerate(RAG):
            x = pad + i * width
            d.rounded_rectangle((x + big // 32, pad, x + width - big // 32, big - pad), radius=big // 16,
                                fill=colour)
    else:  # three RAG dots over "TOM"
        r = big // 10
        for i, colour in enumerate(RAG):
            cx = big // 2 + (i - 1) * (2 * r + big // 14)
            cy = pad + r
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        font = _font(int(big * 0.36))
        box = d.textbbox((0, 0), "TOM", font=font)
        left = (big - (box[2] - box[0])) // 2 - box[0]
        top = big - pad - (box[3] - box[1]) - box[1]
        d.text((left, top), "TOM", font=font, fill=WHITE)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw(size).save(ICONS / f"tom-{size}.png", optimize=True)
        print(f"wrote {ICONS / f'tom-{size}.png'}")


if __name__ == "__main__":
    main()
