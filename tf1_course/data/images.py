"""Turn any photo into the 64x64 RGB image the SIGNS model sees. One function, two users.

The dataset builder and ``tf1-course predict`` both call :func:`load_image`, so a user's photo goes
through exactly the steps the training images went through: EXIF orientation applied, converted
to RGB (transparency flattened onto white), made square, resized to 64x64 with Pillow's bilinear
filter (how Stanford CS230's build_dataset.py made the 64x64 SIGNS JPEGs). Scaling to [0, 1] happens
in :func:`tf1_course.data.prepare.flatten_and_scale`, for both as well. (The course's own-image
cell fed 0..255 pixels to a model trained on [0, 1]; here that cannot happen.)
"""

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tf1_course.core.errors import DataError
from tf1_course.core.fileio import atomic_path

IMAGE_SIZE = 64  # SIGNS images are 64x64x3
MAX_PIXELS = 100_000_000  # refuse larger images (a 200 MP phone photo passes; a decompression bomb not)
RESIZE_MODES = ("crop", "stretch", "pad")  # how a non-square photo becomes square


class ImageError(DataError):
    """An image that cannot be read; the message names the file and the reason."""


def _to_rgb(im):
    """RGB uint8; transparent pixels are composited onto white (a PNG with alpha, a GIF)."""
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


def make_square(im, mode="crop"):
    """Square ``im`` by centre-crop, stretch (left to the resize) or pad with the border's mean colour."""
    w, h = im.size
    if w == h or mode == "stretch":
        return im
    if mode == "crop":
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        return im.crop((left, top, left + side, top + side))
    if mode == "pad":
        a = np.asarray(im)
        border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
        fill = tuple(int(round(v)) for v in border.mean(axis=0))
        side = max(w, h)
        out = Image.new("RGB", (side, side), fill)
        out.paste(im, ((side - w) // 2, (side - h) // 2))
        return out
    raise ValueError(f"resize mode must be one of {RESIZE_MODES}, not {mode!r}")


def load_image(path, size=IMAGE_SIZE, resize="crop", max_pixels=MAX_PIXELS):
    """Read an image file the way the SIGNS training images were made.

    Args:
      path: JPEG, PNG (alpha ok), grayscale, BMP, GIF (first frame), WebP, any size.
      size: output side in pixels.
      resize: "crop" (centre square, default), "stretch" or "pad"; see :func:`make_square`.
      max_pixels: larger images are refused before they are decoded.
    Returns:
      uint8 array - [size, size, 3], RGB.
    Raises:
      ImageError: missing, not an image, truncated/corrupt, or too large (message names the file).
    """
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise ImageError(f"{path}: image is {w}x{h} = {w * h:,} pixels, "
                                     f"over the limit of {max_pixels:,}")
                im.seek(0)  # first frame of an animated GIF/WebP
                im.load()
                im = ImageOps.exif_transpose(im)
                im = _to_rgb(im)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image Pillow can read") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{path}: image is too large (over Pillow's decompression-bomb limit)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageError(f"{path}: truncated or corrupt image ({e})") from None
    im = make_square(im, resize)
    if im.size != (size, size):
        im = im.resize((size, size), Image.BILINEAR)
    return np.asarray(im, dtype=np.uint8)


def save_image(path, array):
    """Write a uint8 [h, w, 3] array as PNG, atomically (for --save-preprocessed)."""
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
