"""Writes the small media fixtures of Tests/MediaIOTests with an independent encoder
(Pillow, in Tools/reference/.venv; run with Tools/reference/.venv/bin/python).

Every picture's pixels follow a formula the Swift tests recompute, so the decoders are
checked against the source values, not against their own output:
  gradient_rgb.jpg    16x8 RGB  R = 16x + 8, G = 32y + 16, B = 128 (quality 95, 4:4:4)
  gradient_gray.jpg   16x8 grey V = 8x + 16y + 8 (quality 95)
  gray16.png          5x3 16-bit grey V = 4099 (x + 5y) (+ 1 so the low byte is not 0)
  gray1.png           9x2 1-bit grey, white where (x + y) is odd
  palette4.png        6x2 4-bit palette, colour (x + 3y) % 10 of PALETTE
  rgba.png            4x3 RGBA, R = 60x, G = 80y, B = 7, A = 50x + 20 (alpha dropped)
  gray_alpha.png      3x2 grey + alpha, V = 40x + 100y, A = 200
  interlaced.png      10x9 RGB Adam7, written by hand here (Pillow writes no Adam7),
                      R = 25x, G = 28y, B = (x * y) % 256
  animated.gif        16x16, 2 frames, a global then a local palette of 4 colours, 50 ms
                      and 70 ms, loop 3: frame f pixel = PALETTE[(x // 2 + y + 3f) % 4 + f]
  interlaced.gif      16x16 (Pillow interlaces single frames from 16 up), one frame,
                      pixel = PALETTE[(x + 2y) % 10]
Deterministic, and refuses to exceed its 16 KB budget.
"""
import io
import os
import struct
import zlib

from PIL import Image

BUDGET = 16 * 1024
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "media")
PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255),
           (255, 0, 255), (10, 20, 30), (200, 100, 50), (90, 90, 90), (255, 255, 255)]


def encoded(image, format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def picture(mode, width, height, value):
    image = Image.new(mode, (width, height))
    image.putdata([value(x, y) for y in range(height) for x in range(width)])
    return image


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def adam7_png(width, height, value):
    """An 8-bit RGB Adam7 PNG with filter 0 on every row."""
    raw = b""
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
        columns = range(x0, width, dx)
        if not columns:
            continue
        for y in range(y0, height, dy):
            raw += b"\x00" + bytes(c for x in columns for c in value(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def gif_frame(f):
    image = picture("P", 16, 16, lambda x, y: (x // 2 + y + 3 * f) % 4)
    colours = PALETTE[f:f + 4]
    image.putpalette([c for rgb in colours for c in rgb])
    return image


files = {
    "gradient_rgb.jpg": encoded(picture("RGB", 16, 8, lambda x, y: (16 * x + 8, 32 * y + 16, 128)), "JPEG", quality=95, subsampling=0),
    "gradient_gray.jpg": encoded(picture("L", 16, 8, lambda x, y: 8 * x + 16 * y + 8), "JPEG", quality=95),
    "gray16.png": encoded(picture("I;16", 5, 3, lambda x, y: 4099 * (x + 5 * y) + 1), "PNG"),
    "gray1.png": encoded(picture("1", 9, 2, lambda x, y: 255 if (x + y) % 2 else 0), "PNG"),
    "rgba.png": encoded(picture("RGBA", 4, 3, lambda x, y: (60 * x, 80 * y, 7, 50 * x + 20)), "PNG"),
    "gray_alpha.png": encoded(picture("LA", 3, 2, lambda x, y: (40 * x + 100 * y, 200)), "PNG"),
    "interlaced.png": adam7_png(10, 9, lambda x, y: (25 * x, 28 * y, (x * y) % 256)),
}
palette_image = picture("P", 6, 2, lambda x, y: (x + 3 * y) % 10)
palette_image.putpalette([c for rgb in PALETTE for c in rgb])
files["palette4.png"] = encoded(palette_image, "PNG", bits=4)
first, second = gif_frame(0), gif_frame(1)
files["animated.gif"] = encoded(first, "GIF", save_all=True, append_images=[second], duration=[50, 70], loop=3, optimize=False, disposal=1)
files["interlaced.gif"] = encoded(picture("P", 16, 16, lambda x, y: (x + 2 * y) % 10), "GIF", interlace=True, optimize=False, palette=bytes(c for rgb in PALETTE for c in rgb))

total = sum(len(data) for data in files.values())
if total > BUDGET:
    raise SystemExit(f"media fixtures take {total} bytes, above the {BUDGET}-byte budget")
for name in sorted(files):
    with open(os.path.join(HERE, name), "wb") as handle:
        handle.write(files[name])
    print(f"{name}: {len(files[name])} bytes")
print(f"total {total} bytes")
