"""Turn any photo into the 64x64 RGB image the SIGNS model sees. One function, three users.

The dataset builder and ``tf1-course predict`` call :func:`load_image` (a path), ``tf1-course serve``
calls :func:`read_image` (an uploaded file's bytes), and ``load_image`` is ``read_image`` on the
opened file, so a user's photo goes
through exactly the steps the training images went through: EXIF orientation applied, converted
to RGB (transparency flattened onto white), made square, resized to 64x64 with Pillow's bilinear
filter (how Stanford CS230's build_dataset.py made the 64x64 SIGNS JPEGs). Scaling to [0, 1] happens
in :func:`tf1_course.data.prepare.flatten_and_scale`, for both as well. (The course's own-image
cell fed 0..255 pixels to a model trained on [0, 1]; here that cannot happen.)
"""

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tf1_course.core.errors import DataError
from tf1_course.core.fileio import atomic_path, not_a_regular_file

IMAGE_SIZE = 64  # SIGNS images are 64x64x3
MAX_PIXELS = 100_000_000  # refuse larger images (a 200 MP phone photo passes; a decompression bomb not)
RESIZE_MODES = ("crop", "stretch", "pad")  # how a non-square photo becomes square


class ImageError(DataError):
    """An image that cannot be read; the message names the file and the reason."""


SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")  # 16-bit grayscale (a 16-bit PNG, PGM or TIFF)
TRANSPARENT = ("RGBA", "LA", "La", "RGBa", "PA")     # modes with an alpha channel
CONVERTIBLE = ("1", "L", "P", "RGB", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")  # Pillow maps these to 8-bit RGB


def _to_rgb(im, path):
    """RGB uint8 of any Pillow mode, every one mapped to 0..255 (never clipped to white):

    - transparency (RGBA, LA, a palette with a transparent colour) is composited onto white;
    - 16-bit gray (I;16*) is divided by 257 (65535 -> 255);
    - 32-bit integer gray (I) is taken as 8-bit when its values fit 0..255, else as 16-bit;
      values outside 0..65535 have no known scale and are refused;
    - floating-point gray (F) is taken as 0..1 when its values fit, else as 0..255, else 0..65535;
      negative or non-finite values are refused;
    - CMYK, YCbCr, LAB, HSV, bilevel and palette images go through Pillow's conversion.

    A 16-bit RGB PNG is already 8-bit RGB here (Pillow keeps each channel's high byte).
    Any other mode is refused with an ImageError that names it.
    """
    mode = im.mode
    if mode == "RGB":
        return im  # already what the model wants (convert would copy it)
    if mode in TRANSPARENT or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode in SIXTEEN_BIT or mode in ("I", "F"):
        return Image.fromarray(_gray_to_8bit(np.asarray(im), mode, path), "L").convert("RGB")
    if mode in CONVERTIBLE:
        return im.convert("RGB")
    raise ImageError(f"{path}: image mode {mode} cannot be mapped to 8-bit RGB; save the photo as an "
                     f"ordinary 8-bit JPEG or PNG")


def _gray_to_8bit(a, mode, path):
    """One channel of 16-bit, 32-bit integer or floating-point gray -> uint8 [h, w] (see _to_rgb)."""
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ImageError(f"{path}: {mode} pixels that are not finite numbers (nan or inf): not a photo")
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if lo < 0:
        raise ImageError(f"{path}: {mode} pixels below 0 ({lo:g}): their scale is unknown; save the "
                         f"photo as an 8-bit JPEG or PNG")
    if mode in SIXTEEN_BIT:
        top = 65535
    elif mode == "F" and hi <= 1:
        top = 1
    elif hi <= 255:
        top = 255
    elif hi <= 65535:
        top = 65535
    else:
        raise ImageError(f"{path}: {mode} pixels up to {hi:g}, over 65535: their scale is unknown; save "
                         f"the photo as an 8-bit JPEG or PNG")
    return np.round(a * (255 / top)).astype(np.uint8)


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
    special = not_a_regular_file(path)
    if special:
        raise ImageError(f"{path}: is {special}, not an image file")
    with open(path, "rb") as f:
        return read_image(f, path, size, resize, max_pixels)


def read_image(file, name="image", size=IMAGE_SIZE, resize="crop", max_pixels=MAX_PIXELS):
    """:func:`load_image` on an open binary file or the bytes of one (an upload): the same steps.

    Args:
      file: a binary file object (seekable), or bytes.
      name: what error messages call it (the path, the upload's file name).
      size, resize, max_pixels: as :func:`load_image`.
    Returns:
      uint8 array - [size, size, 3], RGB.
    Raises:
      ImageError: empty, not an image, truncated/corrupt, or too large (message starts with ``name``).
    """
    if isinstance(file, (bytes, bytearray, memoryview)):
        file = io.BytesIO(file)
    start = file.tell()
    if not file.read(1):
        raise ImageError(f"{name}: empty file (0 bytes), not an image")
    file.seek(start)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise ImageError(f"{name}: image is {w}x{h} = {w * h:,} pixels, "
                                     f"over the limit of {max_pixels:,}")
                im.seek(0)  # first frame of an animated GIF/WebP
                im.load()
                # in place: no copy of the decoded photo when it is upright (a phone photo: 27 MB)
                ImageOps.exif_transpose(im, in_place=True)
                im = _to_rgb(im, name)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image Pillow can read") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{name}: image is too large (over Pillow's decompression-bomb limit)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageError(f"{name}: truncated or corrupt image ({e})") from None
    im = make_square(im, resize)
    if im.size != (size, size):
        im = im.resize((size, size), Image.BILINEAR)
    return np.asarray(im, dtype=np.uint8)


def save_image(path, array):
    """Write a uint8 [h, w, 3] array as PNG, atomically (for --save-preprocessed)."""
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
