import numpy as np
import pytest
from PIL import Image

from tf1_course.data.images import ImageError, load_image, make_square, read_image


def gradient(w, h):
    """An RGB image whose red channel encodes x and green channel encodes y."""
    x = np.linspace(0, 255, w).astype(np.uint8)
    y = np.linspace(0, 255, h).astype(np.uint8)
    a = np.zeros((h, w, 3), np.uint8)
    a[..., 0] = x[None, :]
    a[..., 1] = y[:, None]
    a[..., 2] = 128
    return a


@pytest.mark.parametrize("fmt, mode, suffix", [
    ("JPEG", "RGB", ".jpg"), ("PNG", "RGBA", ".png"), ("PNG", "L", ".png"), ("BMP", "RGB", ".bmp"),
    ("GIF", "P", ".gif"), ("WEBP", "RGB", ".webp"), ("PNG", "I;16", ".png"), ("TIFF", "CMYK", ".tif"),
])
def test_common_formats_give_64x64_rgb(tmp_path, fmt, mode, suffix):
    im = Image.fromarray(gradient(300, 200)).convert(mode) if mode != "I;16" else \
        Image.fromarray(gradient(300, 200)[..., 0].astype(np.uint16) * 250)
    path = tmp_path / f"img{suffix}"
    im.save(path, format=fmt)
    out = load_image(path)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    # an upload (the bytes, as `serve` gets them) goes through the very same steps
    np.testing.assert_array_equal(read_image(path.read_bytes(), "upload"), out)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(read_image(f, "upload", resize="pad"), load_image(path, resize="pad"))


def test_png_alpha_is_flattened_on_white(tmp_path):
    a = np.zeros((64, 64, 4), np.uint8)
    a[:32, :, :3] = (200, 10, 10)
    a[:32, :, 3] = 255  # top half opaque red, bottom half fully transparent
    Image.fromarray(a, "RGBA").save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert tuple(out[5, 5]) == (200, 10, 10)
    assert tuple(out[60, 5]) == (255, 255, 255)


def test_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (64, 64), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    out = load_image(tmp_path / "a.gif")
    assert out[..., 0].mean() > 200 and out[..., 2].mean() < 50


def test_exif_orientation_is_applied(tmp_path):
    a = np.zeros((64, 64, 3), np.uint8)
    a[:, :16] = 255  # white band on the left
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to view": the band must end up at the top
    im.save(tmp_path / "r.jpg", exif=exif, quality=95)
    out = load_image(tmp_path / "r.jpg").astype(int)
    assert out[:16].mean() > 200 and out[-16:].mean() < 50


def test_non_square_modes(tmp_path):
    Image.fromarray(gradient(400, 100)).save(tmp_path / "wide.png")
    crop = load_image(tmp_path / "wide.png", resize="crop").astype(int)
    stretch = load_image(tmp_path / "wide.png", resize="stretch").astype(int)
    pad = load_image(tmp_path / "wide.png", resize="pad").astype(int)
    # crop keeps the middle quarter of x (red ~ 96..159); stretch keeps all of x (0..255)
    assert 80 < crop[32, 0, 0] < 110 and 145 < crop[32, -1, 0] < 175
    assert stretch[32, 0, 0] < 10 and stretch[32, -1, 0] > 245
    # pad keeps all of x in the middle band and fills above and below with one colour
    assert pad[32, 0, 0] < 15 and pad[32, -1, 0] > 240
    assert np.ptp(pad[:20].reshape(-1, 3), axis=0).max() <= 2
    with pytest.raises(ValueError):
        make_square(Image.fromarray(gradient(4, 2)), "zoom")


def test_64x64_image_is_read_unchanged(tmp_path):
    a = np.random.RandomState(0).randint(0, 256, (64, 64, 3)).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), a)


def test_errors_name_the_file_and_reason(tmp_path):
    with pytest.raises(ImageError, match="missing.jpg: no such file"):
        load_image(tmp_path / "missing.jpg")
    (tmp_path / "notes.jpg").write_text("not an image")
    with pytest.raises(ImageError, match="notes.jpg: not an image"):
        load_image(tmp_path / "notes.jpg")
    Image.fromarray(gradient(200, 200)).save(tmp_path / "full.jpg", quality=95)
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="cut.jpg: truncated or corrupt"):
        load_image(tmp_path / "cut.jpg")
    with pytest.raises(ImageError, match=r"full.jpg: image is 200x200 = 40,000 pixels, over the limit of 10,000"):
        load_image(tmp_path / "full.jpg", max_pixels=10_000)
    with pytest.raises(ImageError, match="is a directory"):
        load_image(tmp_path)


def test_uploaded_bytes_errors_name_the_upload(tmp_path):
    Image.fromarray(gradient(200, 200)).save(tmp_path / "full.jpg", quality=95)
    data = (tmp_path / "full.jpg").read_bytes()
    with pytest.raises(ImageError, match="^hand.jpg: empty file"):
        read_image(b"", "hand.jpg")
    with pytest.raises(ImageError, match="^hand.jpg: not an image"):
        read_image(b"<html>", "hand.jpg")
    with pytest.raises(ImageError, match="^hand.jpg: truncated or corrupt"):
        read_image(data[: len(data) // 2], "hand.jpg")
    with pytest.raises(ImageError, match="^hand.jpg: image is 200x200 = 40,000 pixels"):
        read_image(data, "hand.jpg", max_pixels=10_000)


# --- every Pillow mode maps to 0..255 RGB (a 16-bit gray PNG is not a white image) --------------

def _png16(path, rgb16):
    """Write a 16-bit-per-channel RGB PNG (Pillow cannot): rgb16 uint16 [h, w, 3]."""
    import struct
    import zlib

    h, w, _ = rgb16.shape
    raw = b"".join(b"\0" + rgb16[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _photo():
    """A 64x64 8-bit RGB photo and its 8-bit gray version (the references)."""
    from conftest import sign_image

    rgb = sign_image(3, 7) + np.arange(64, dtype=np.uint8)[None, :, None] * 2  # ramps: many grey levels
    gray = np.asarray(Image.fromarray(rgb).convert("L"))
    return rgb, gray


def _as_rgb(gray):
    return np.repeat(gray[..., None], 3, axis=2)


def _write(path, kind, rgb, gray):
    """The photo in Pillow mode ``kind``; returns what load_image must give (8-bit RGB)."""
    if kind == "I;16":
        Image.fromarray(gray.astype(np.uint16) * 257).save(path)
    elif kind == "16-bit RGB":
        _png16(path, rgb.astype(np.uint16) * 257)
        return rgb
    elif kind == "I 16-bit":
        Image.fromarray(gray.astype(np.int32) * 257, "I").save(path, format="TIFF")
    elif kind == "I 8-bit":
        Image.fromarray(gray).convert("I").save(path, format="TIFF")
    elif kind == "F 0..1":
        Image.fromarray(gray.astype(np.float32) / 255, "F").save(path, format="TIFF")
    elif kind == "F 0..255":
        Image.fromarray(gray.astype(np.float32), "F").save(path, format="TIFF")
    elif kind == "CMYK":
        Image.fromarray(rgb).convert("CMYK").save(path, format="TIFF")
        return rgb
    elif kind == "P + transparency":
        few = (rgb // 64 * 64).astype(np.uint8)  # 64 colours: a palette holds them exactly
        p = Image.fromarray(few).quantize(colors=256, method=Image.Quantize.MAXCOVERAGE)
        index = int(np.asarray(p)[0, 0])
        p.info["transparency"] = index
        p.save(path, format="PNG", transparency=index)
        out = np.asarray(p.convert("RGB")).copy()
        out[np.asarray(p) == index] = 255  # transparent: white
        return out
    elif kind in ("LA", "RGBA"):
        alpha = np.linspace(0, 255, 64).astype(np.uint8)[None, :].repeat(64, 0)
        base = gray[..., None] if kind == "LA" else rgb
        Image.fromarray(np.concatenate([base, alpha[..., None]], axis=2), kind).save(path, format="PNG")
        a = alpha[..., None] / 255.0
        return np.round(_as_rgb(gray) * a + 255 * (1 - a)) if kind == "LA" else np.round(rgb * a + 255 * (1 - a))
    else:
        raise ValueError(kind)
    return _as_rgb(gray)


@pytest.mark.parametrize("kind", ["I;16", "16-bit RGB", "I 16-bit", "I 8-bit", "F 0..1", "F 0..255", "CMYK",
                                  "P + transparency", "LA", "RGBA"])
def test_every_mode_gives_the_8bit_photo_within_one_grey_level(tmp_path, kind):
    rgb, gray = _photo()
    path = tmp_path / ("photo.tif" if kind.startswith(("I ", "F", "CMYK")) else "photo.png")
    expected = _write(path, kind, rgb, gray)
    with Image.open(path) as im:
        assert im.mode != "RGB" or kind == "16-bit RGB", im.mode  # really that mode on disk
    got = load_image(path).astype(int)
    assert np.abs(got - np.asarray(expected).astype(int)).max() <= 1, kind


@pytest.mark.parametrize("values, what", [
    (np.full((64, 64), 70000, np.int32), "over 65535"),
    (np.full((64, 64), -5, np.int32), "below 0"),
])
def test_a_mode_whose_scale_is_unknown_is_refused_in_one_line(tmp_path, values, what):
    path = tmp_path / "odd.tif"
    Image.fromarray(values, "I").save(path, format="TIFF")
    with pytest.raises(ImageError, match=f"odd.tif: I pixels .*{what}"):
        load_image(path)
    f = np.full((64, 64), np.nan, np.float32)
    Image.fromarray(f, "F").save(tmp_path / "nan.tif", format="TIFF")
    with pytest.raises(ImageError, match="not finite"):
        load_image(tmp_path / "nan.tif")


def test_a_fifo_or_a_device_is_refused_before_it_is_opened(tmp_path):
    import os

    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # opening it would block until something writes to it
    with pytest.raises(ImageError, match="photo.jpg: is a FIFO"):
        load_image(fifo)
    with pytest.raises(ImageError, match="is a character device"):
        load_image("/dev/zero")
    with pytest.raises(ImageError, match="is a directory"):
        load_image(tmp_path)
