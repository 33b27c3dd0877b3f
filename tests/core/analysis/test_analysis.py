"""Analysing one file: every supported format, orientation, EXIF, the reduced decode, and
every kind of bad input turned into a recorded reason instead of a crash."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from PIL import Image

from core.analysis import analyse as analysis
from core.analysis import hashing
from core.media import imaging
from core.models import MediaType
from tests.images import bomb_png, exif_bytes, save, scene


@pytest.fixture(scope="module")
def base() -> Image.Image:
    return scene(3, (800, 600))


@pytest.fixture(scope="module")
def reference(base, tmp_path_factory):
    path = save(base, tmp_path_factory.mktemp("ref") / "ref.jpg", quality=95)
    return analysis.analyse_file(str(path)).photo


FORMATS = [
    ("a.png", "PNG", {}),
    ("a.webp", "WEBP", {"quality": 85}),
    ("a.tif", "TIFF", {}),
    ("a.bmp", "BMP", {}),
    ("a.heic", "HEIF", {"quality": 85}),
    ("a.avif", "AVIF", {"quality": 85}),
]


@pytest.mark.parametrize(("name", "fmt", "kw"), FORMATS, ids=[f[1] for f in FORMATS])
def test_each_format_is_analysed_like_its_jpeg(tmp_path, base, reference, name, fmt, kw):
    photo = analysis.analyse_file(str(save(base, tmp_path / name, fmt, **kw))).photo
    assert photo.error is None
    assert (photo.format, photo.media_type) == (fmt, MediaType.IMAGE)
    assert (photo.width, photo.height) == (800, 600)
    assert hashing.hamming(photo.hashes.phash, reference.hashes.phash) <= 2


def test_gif_cmyk_grey_16_bit_and_transparent_images_decode(tmp_path, base, reference):
    import numpy as np

    grey16 = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
    files = {
        "palette.gif": save(base.convert("P"), tmp_path / "palette.gif", "GIF"),
        "cmyk.jpg": save(base.convert("CMYK"), tmp_path / "cmyk.jpg"),
        "grey.jpg": save(base.convert("L"), tmp_path / "grey.jpg"),
        "grey16.png": save(grey16, tmp_path / "grey16.png", "PNG"),
        "alpha.png": save(base.convert("RGBA"), tmp_path / "alpha.png", "PNG"),
    }
    for name, path in files.items():
        photo = analysis.analyse_file(str(path)).photo
        assert photo.error is None, name
        assert hashing.hamming(photo.hashes.phash, reference.hashes.phash) <= 4, name


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG", "AVIF", "HEIF"])
def test_exif_orientation_is_applied(tmp_path, base, reference, fmt):
    # A camera held upright stores the pixels sideways and says "rotate 90 CW" (6).
    stored = base.transpose(Image.Transpose.ROTATE_90)
    path = save(stored, tmp_path / f"o6.{fmt.lower()}", fmt, exif=exif_bytes(orientation=6))
    photo = analysis.analyse_file(str(path)).photo
    assert photo.orientation == 6
    assert (photo.width, photo.height) == (800, 600)
    assert hashing.hamming(photo.hashes.phash, reference.hashes.phash) <= 2


def test_exif_capture_time_camera_and_software_are_read(tmp_path, base):
    exif = exif_bytes(
        taken=datetime(2021, 7, 4, 18, 30, 5),
        subsec="25",
        make="Canon\x00",
        model=" Canon EOS 80D ",
        software="GIMP 2.10",
    )
    photo = analysis.analyse_file(str(save(base, tmp_path / "IMG_0001.JPG", exif=exif))).photo
    assert photo.taken_at == datetime(2021, 7, 4, 18, 30, 5, 250000)
    assert (photo.camera_make, photo.camera_model) == ("Canon", "Canon EOS 80D")
    assert photo.has_camera_exif
    assert photo.software == "GIMP 2.10"


def test_missing_or_nonsense_exif_gives_empty_fields(tmp_path, base):
    plain = analysis.analyse_file(str(save(base, tmp_path / "plain.jpg"))).photo
    assert (plain.taken_at, plain.camera_make, plain.has_camera_exif) == (None, None, False)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "0000:00:00 00:00:00"
    zero = analysis.analyse_file(str(save(base, tmp_path / "zero.jpg", exif=exif))).photo
    assert zero.error is None and zero.taken_at is None


def test_jpeg_is_decoded_at_reduced_scale(tmp_path):
    path = save(scene(1, (4000, 3000)), tmp_path / "big.jpg")
    with open(path, "rb") as fh:
        decoded = imaging.decode(fh, "JPEG")
    assert decoded.factor == 8
    assert decoded.rgb.shape == (375, 500, 3)


def test_png_is_reduced_by_the_same_factor_as_a_jpeg(tmp_path):
    img = scene(1, (1600, 1200))
    with open(save(img, tmp_path / "a.jpg"), "rb") as fh:
        jpeg = imaging.decode(fh, "JPEG")
    with open(save(img, tmp_path / "a.png", "PNG"), "rb") as fh:
        png = imaging.decode(fh, "PNG")
    assert jpeg.rgb.shape == png.rgb.shape == (300, 400, 3)


@pytest.mark.parametrize(
    ("size", "factor"), [((4000, 3000), 8), ((2048, 1536), 8), ((1280, 960), 4), ((300, 200), 1)]
)
def test_reduction_keeps_the_short_side_usable(size, factor):
    assert imaging.reduction_factor(*size) == factor
    assert min(size) // factor >= min(min(size), imaging.REDUCED_MIN_SIDE)


def test_content_hash_only_when_asked(tmp_path, base):
    path = str(save(base, tmp_path / "a.jpg"))
    assert analysis.analyse_file(path).photo.content_hash is None
    with open(path, "rb") as fh:
        expected = hashing.content_hash(fh)
    assert analysis.analyse_file(path, want_content_hash=True).photo.content_hash == expected


def test_thumbnail_comes_with_every_image(tmp_path, base):
    result = analysis.analyse_file(str(save(base, tmp_path / "a.jpg")))
    assert len(result.thumb) == hashing.THUMB_SIZE**2


# -- bad input: each becomes a reason, none raises ---------------------------------------


def reason(path) -> str:
    result = analysis.analyse_file(os.fsdecode(path))
    assert result.thumb is None and result.photo.hashes is None
    return result.photo.error


def test_truncated_jpeg_is_corrupt(tmp_path, base):
    data = (save(base, tmp_path / "full.jpg")).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    assert reason(tmp_path / "cut.jpg").startswith("corrupt: truncated")


def test_truncated_png_is_corrupt(tmp_path, base):
    data = save(base, tmp_path / "full.png", "PNG").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:5000])
    assert reason(tmp_path / "cut.png").startswith("corrupt")


def test_jpeg_with_garbage_after_its_header_is_corrupt(tmp_path):
    (tmp_path / "junk.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 20)
    assert reason(tmp_path / "junk.jpg").startswith("corrupt")


def test_zero_byte_file_is_empty(tmp_path):
    (tmp_path / "empty.jpg").touch()
    assert reason(tmp_path / "empty.jpg") == "empty: zero-byte file"


def test_text_named_jpg_is_not_an_image(tmp_path):
    (tmp_path / "notes.jpg").write_text("shopping list\nmilk\n")
    assert reason(tmp_path / "notes.jpg") == "not an image: text named .jpg"


def test_png_named_jpg_is_analysed_as_png(tmp_path, base):
    path = save(base, tmp_path / "really_a_png.jpg", "PNG")
    assert analysis.analyse_file(str(path)).photo.format == "PNG"


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    (tmp_path / "bomb.png").write_bytes(bomb_png(30000, 30000))
    assert reason(tmp_path / "bomb.png") == (
        "too large: 30000x30000 is 900 MP, above the 200 MP limit"
    )
    (tmp_path / "big.png").write_bytes(bomb_png(15000, 15000))  # within twice the limit
    assert reason(tmp_path / "big.png") == (
        "too large: 15000x15000 is 225 MP, above the 200 MP limit"
    )


def test_pillows_own_guard_is_left_as_it_was(tmp_path):
    before = Image.MAX_IMAGE_PIXELS
    (tmp_path / "bomb.png").write_bytes(bomb_png(30000, 30000))
    reason(tmp_path / "bomb.png")
    assert Image.MAX_IMAGE_PIXELS == before is not None


def test_pixel_limit_is_configurable(tmp_path, base):
    path = str(save(base, tmp_path / "a.jpg"))
    result = analysis.analyse_file(path, max_pixels=100_000)
    assert result.photo.error.startswith("too large: 800x600")


def test_file_without_read_permission_is_unreadable(tmp_path, base, monkeypatch):
    path = save(base, tmp_path / "locked.jpg")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make open() fail the way it would for a user
        real_open = open

        def denying_open(file, *args, **kwargs):
            if os.fspath(file) == str(path):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr("builtins.open", denying_open)
    assert reason(path) == "unreadable: permission denied"


def test_file_that_vanished_is_reported_as_such(tmp_path):
    assert reason(tmp_path / "gone.jpg") == "vanished: deleted during the scan"


def test_non_utf8_file_name_is_analysed(tmp_path, base):
    path = os.path.join(os.fsencode(tmp_path), b"caf\xe9.jpg")
    save(base, path)
    photo = analysis.analyse_file(os.fsdecode(path)).photo
    assert photo.error is None
    assert os.fsencode(photo.path) == path


def test_camera_raw_is_listed_as_unsupported(tmp_path, base):
    path = save(base, tmp_path / "DSC_0001.NEF", "TIFF")  # NEF files are TIFF containers
    photo = analysis.analyse_file(str(path)).photo
    assert photo.media_type is MediaType.UNSUPPORTED
    assert photo.error.startswith("unsupported: camera RAW")
