"""The preview cache: memory, then disk, then the loader; failures remembered; one decode per
photo however many threads ask; private files on disk."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from core.errors import PhotosiftError
from core.models import Photo
from tests.images import save, scene
from tui.thumbnails import Thumb, ThumbnailCache, default_cache_dir


class CountingLoader:
    """A loader that makes a picture of the photo's size and counts its calls per path."""

    def __init__(self, fail: str | None = None, delay: threading.Event | None = None) -> None:
        self.calls: dict[str, int] = {}
        self.fail = fail
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, photo: Photo, max_side: int) -> Image.Image:
        with self.lock:
            self.calls[photo.path] = self.calls.get(photo.path, 0) + 1
        if self.delay is not None:
            self.delay.wait(5)
        if self.fail:
            raise PhotosiftError(self.fail)
        with Image.open(photo.path) as im:
            im.thumbnail((max_side, max_side))
            return im.convert("RGB")

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def photo_at(path) -> Photo:
    st = os.stat(path)
    return Photo(path=os.fspath(path), size=st.st_size, mtime_ns=st.st_mtime_ns)


@pytest.fixture
def photos(tmp_path) -> list[Photo]:
    return [
        photo_at(save(scene(seed, (160, 120)), tmp_path / "photos" / f"p{seed}.jpg"))
        for seed in range(4)
    ]


def test_memory_hit_calls_the_loader_once(tmp_path, photos):
    loader = CountingLoader()
    cache = ThumbnailCache(loader, str(tmp_path / "thumbs"), max_side=64)
    assert cache.cached(photos[0]) is None
    first = cache.load(photos[0])
    assert first.image is not None and first.reason is None and max(first.image.size) == 64
    assert cache.load(photos[0]) is first
    assert cache.cached(photos[0]) is first
    assert loader.total == 1


def test_cached_never_reads_a_file(tmp_path, photos, monkeypatch):
    cache = ThumbnailCache(CountingLoader(), str(tmp_path / "thumbs"))
    cache.load(photos[0])

    def no_io(*args, **kwargs):
        raise AssertionError("cached() did I/O")

    monkeypatch.setattr("builtins.open", no_io)
    monkeypatch.setattr(os, "stat", no_io)
    assert cache.cached(photos[0]) is not None
    assert cache.cached(photos[1]) is None


def test_disk_hit_across_two_caches_does_not_call_the_loader(tmp_path, photos):
    folder = str(tmp_path / "thumbs")
    first = ThumbnailCache(CountingLoader(), folder, max_side=64).load(photos[1])
    loader = CountingLoader()
    again = ThumbnailCache(loader, folder, max_side=64).load(photos[1])
    assert loader.total == 0
    assert again.image is not None and again.image.size == first.image.size


def test_disk_files_are_private(tmp_path, photos):
    folder = tmp_path / "cache" / "thumbs"
    cache = ThumbnailCache(CountingLoader(), str(folder))
    for photo in photos:
        cache.load(photo)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert len(files) == len(photos)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert not any(f.name.startswith(".") for f in files)  # no temporary file left behind


def test_an_existing_open_cache_folder_is_made_private(tmp_path, photos):
    folder = tmp_path / "thumbs"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    ThumbnailCache(CountingLoader(), str(folder)).load(photos[0])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_changed_file_is_a_miss(tmp_path, photos):
    loader = CountingLoader()
    folder = str(tmp_path / "thumbs")
    ThumbnailCache(loader, folder).load(photos[0])
    os.utime(photos[0].path, ns=(photos[0].mtime_ns, photos[0].mtime_ns + 10**9))
    rescanned = photo_at(photos[0].path)
    ThumbnailCache(loader, folder).load(rescanned)
    assert loader.calls[photos[0].path] == 2


def test_a_file_changed_since_the_scan_is_not_shown_from_disk(tmp_path, photos):
    folder = str(tmp_path / "thumbs")
    ThumbnailCache(CountingLoader(), folder).load(photos[0])
    os.unlink(photos[0].path)
    loader = CountingLoader(fail="gone or changed since the scan; scan again")
    thumb = ThumbnailCache(loader, folder).load(photos[0])
    assert thumb == Thumb(None, "gone or changed since the scan; scan again")
    assert loader.total == 1


def test_a_failing_loader_gives_the_reason_once(tmp_path, photos):
    loader = CountingLoader(fail="corrupt: truncated file")
    cache = ThumbnailCache(loader, str(tmp_path / "thumbs"))
    for _ in range(3):
        thumb = cache.load(photos[2])
        assert thumb.image is None and thumb.reason == "corrupt: truncated file"
    assert cache.cached(photos[2]) == thumb
    assert loader.total == 1
    assert not (tmp_path / "thumbs").exists()  # failures are not written to disk
    cache.forget(photos[2])
    cache.load(photos[2])
    assert loader.total == 2


def test_a_damaged_cache_file_is_ignored_and_rewritten(tmp_path, photos):
    folder = str(tmp_path / "thumbs")
    cache = ThumbnailCache(CountingLoader(), folder, max_side=64)
    cache.load(photos[3])
    path = cache.disk_path(photos[3])
    with open(path, "r+b") as fh:
        fh.truncate(40)
    loader = CountingLoader()
    thumb = ThumbnailCache(loader, folder, max_side=64).load(photos[3])
    assert loader.total == 1 and thumb.image is not None
    with Image.open(path) as im:
        im.load()
        assert im.size == thumb.image.size


def test_concurrent_loads_of_one_photo_decode_once(tmp_path, photos):
    release = threading.Event()
    loader = CountingLoader(delay=release)
    cache = ThumbnailCache(loader, str(tmp_path / "thumbs"))
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(cache.load, photos[0]) for _ in range(6)]
        while loader.total == 0:
            threading.Event().wait(0.005)
        threading.Event().wait(0.1)  # time for the other five to arrive (and wait, or decode)
        release.set()
        results = [f.result(timeout=10) for f in futures]
    assert loader.total == 1
    assert all(r is results[0] for r in results)


def test_a_loader_bug_propagates_and_leaves_the_cache_usable(tmp_path, photos):
    calls = []

    def buggy(photo: Photo, max_side: int) -> Image.Image:
        calls.append(photo)
        if len(calls) == 1:
            raise RuntimeError("bug")
        return Image.new("RGB", (8, 8))

    cache = ThumbnailCache(buggy, None)
    with pytest.raises(RuntimeError):
        cache.load(photos[0])
    assert cache.cached(photos[0]) is None
    assert cache.load(photos[0]).image is not None


def test_least_recently_used_thumbnail_is_evicted(tmp_path, photos):
    loader = CountingLoader()
    cache = ThumbnailCache(loader, None, memory_items=2)
    cache.load(photos[0])
    cache.load(photos[1])
    assert cache.cached(photos[0]) is not None  # now 1 is the oldest
    cache.load(photos[2])
    assert cache.cached(photos[1]) is None
    assert cache.cached(photos[0]) is not None and cache.cached(photos[2]) is not None
    cache.load(photos[1])
    assert loader.calls[photos[1].path] == 2  # no disk cache: made again


def test_transparent_thumbnail_is_kept_as_png(tmp_path):
    path = save(Image.new("RGBA", (40, 20), (0, 255, 0, 128)), tmp_path / "clear.png", "PNG")
    photo = photo_at(path)
    folder = str(tmp_path / "thumbs")

    def rgba(photo: Photo, max_side: int) -> Image.Image:
        with Image.open(photo.path) as im:
            return im.copy()

    ThumbnailCache(rgba, folder).load(photo)
    again = ThumbnailCache(CountingLoader(fail="not called"), folder).load(photo)
    assert again.image is not None and again.image.format == "PNG"
    assert again.image.getpixel((3, 3)) == (0, 255, 0, 128)


def test_prefetch_loads_what_is_missing(tmp_path, photos):
    loader = CountingLoader()
    cache = ThumbnailCache(loader, None)
    cache.load(photos[0])
    assert cache.prefetch(photos) == 3
    assert all(cache.cached(p) is not None for p in photos)
    assert loader.total == 4


def test_prefetch_stops_when_asked_and_hands_work_to_an_executor(tmp_path, photos):
    loader = CountingLoader()
    cache = ThumbnailCache(loader, None)
    asked = iter([False, True])
    cache.prefetch(photos, should_stop=lambda: next(asked))
    assert loader.total == 1
    with ThreadPoolExecutor(max_workers=2) as pool:
        cache.prefetch(photos, pool.submit)
    assert all(cache.cached(p) is not None for p in photos)


def test_default_cache_dir_is_under_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = default_cache_dir()
    assert os.path.basename(folder) == "thumbs"
    assert os.path.basename(os.path.dirname(folder)) == "photosift"
