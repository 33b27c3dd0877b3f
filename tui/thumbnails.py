"""The app's preview cache: one small picture per photo, made once in a worker thread and kept
in memory and on disk, so that moving through groups never decodes a photo per key press.

* ``ThumbnailCache.cached(photo)`` looks in memory only and never touches a file: for the UI
  thread. ``load(photo)`` looks in memory, then on disk, then asks the loader (the app passes
  ``Library.preview``); call it from worker threads, several at once if you like: two threads
  asking for one photo make one decode, the second waits for the first.
* A photo that cannot be shown gives a ``Thumb`` without an image and with the reason (the
  loader's ``PhotosiftError`` message: gone, changed since the scan, corrupt, ...). Failures
  are remembered in memory, not on disk, so a broken file is tried once per session (or again
  after ``forget``), not on every key press.
* ``prefetch(photos)`` warms the cache for the next group: call it from a thread worker, or
  hand it an executor's ``submit``.
* On disk: one file per photo under ``cache_dir``, named by a hash of the path (its bytes),
  size, mtime_ns and the thumbnail size, so a changed file or a rescan is a miss. JPEG q85 (PNG
  when the picture has transparency), written to a temporary file and renamed into place. The
  cache shows the person's photos to whoever can read it: the folder is made 0700 and the
  files 0600. A damaged cache file is ignored and written again. A disk hit is used only
  while the file still has the size and mtime of the photo (one ``stat``), so a photo deleted
  or edited since the scan shows the loader's reason, not an old picture.
* In memory: an LRU of ``memory_items`` thumbnails (a 640 px one is about 1 MB).

Thumbnails are shared between threads: treat them as read-only. Imports no textual and no
textual_image; Pillow is imported on first use, so importing this module stays light.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import platformdirs

from core.errors import PhotosiftError
from core.models import Photo

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

log = logging.getLogger(__name__)

CACHE_VERSION = 1  # part of every disk key: raise it when thumbnails are made differently
JPEG_QUALITY = 85
_SUFFIX = ".thumb"

Loader = Callable[[Photo, int], "PILImage"]
_Key = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class Thumb:
    """A photo's preview picture, or, when ``image`` is None, the ``reason`` there is none."""

    image: PILImage | None
    reason: str | None = None


def default_cache_dir() -> str:
    """Where thumbnails are kept between sessions: the platform's cache folder for photosift."""
    return os.path.join(platformdirs.user_cache_dir("photosift"), "thumbs")


class ThumbnailCache:
    """Thumbnails of at most ``max_side`` pixels made by ``loader(photo, max_side)``, kept in
    memory (``memory_items``) and, unless ``cache_dir`` is None, on disk. Thread-safe."""

    def __init__(
        self,
        loader: Loader,
        cache_dir: str | None,
        *,
        max_side: int = 640,
        memory_items: int = 300,
    ) -> None:
        if max_side < 1 or memory_items < 1:
            raise ValueError("max_side and memory_items must be at least 1")
        self.loader = loader
        self.cache_dir = cache_dir
        self.max_side = max_side
        self.memory_items = memory_items
        self._memory: OrderedDict[_Key, Thumb] = OrderedDict()
        self._loading: dict[_Key, threading.Event] = {}
        self._lock = threading.Lock()
        self._dir_ready = False

    def cached(self, photo: Photo) -> Thumb | None:
        """The thumbnail if it is in memory, else None. No I/O: safe on the UI thread."""
        key = _key(photo)
        with self._lock:
            thumb = self._memory.get(key)
            if thumb is not None:
                self._memory.move_to_end(key)
            return thumb

    def load(self, photo: Photo) -> Thumb:
        """The thumbnail from memory, disk or the loader (stored in both). Blocks: call it
        from a worker thread. Exceptions other than ``PhotosiftError`` and ``OSError`` from
        the loader are bugs and propagate."""
        key = _key(photo)
        while True:
            with self._lock:
                thumb = self._memory.get(key)
                if thumb is not None:
                    self._memory.move_to_end(key)
                    return thumb
                pending = self._loading.get(key)
                if pending is None:
                    pending = self._loading[key] = threading.Event()
                    break
            pending.wait()  # another thread is making it; then look again
        try:
            thumb = self._make(photo)
            self._remember(key, thumb)
        finally:
            with self._lock:
                del self._loading[key]
            pending.set()
        return thumb

    def prefetch(
        self,
        photos: Iterable[Photo],
        submit: Callable[..., object] | None = None,
        *,
        should_stop: Callable[[], bool] | None = None,
    ) -> int:
        """Warm the cache for those of ``photos`` not in memory; returns how many that was.

        Without ``submit`` the photos are loaded here, one after the other, stopping early
        when ``should_stop()`` says so: call it from a thread worker, e.g.
        ``cache.prefetch(group_photos, should_stop=lambda: get_current_worker().is_cancelled)``.
        With ``submit`` (e.g. a ``ThreadPoolExecutor``'s ``submit``) each is handed over as
        ``submit(cache.load, photo)`` and this returns at once."""
        todo = [photo for photo in photos if self.cached(photo) is None]
        for photo in todo:
            if submit is not None:
                submit(self.load, photo)
            elif should_stop is not None and should_stop():
                break
            else:
                self.load(photo)
        return len(todo)

    def forget(self, photo: Photo) -> None:
        """Drop the photo's thumbnail (or remembered failure) from memory, to try again."""
        with self._lock:
            self._memory.pop(_key(photo), None)

    def clear(self) -> None:
        """Empty the memory cache (the disk cache stays)."""
        with self._lock:
            self._memory.clear()

    def disk_path(self, photo: Photo) -> str | None:
        """The file that holds (or would hold) the photo's thumbnail on disk."""
        if self.cache_dir is None:
            return None
        numbers = (photo.size, photo.mtime_ns, self.max_side, CACHE_VERSION)
        parts = [os.fsencode(photo.path), *(b"%d" % n for n in numbers)]
        name = hashlib.sha256(b"\0".join(parts)).hexdigest()
        return os.path.join(self.cache_dir, name + _SUFFIX)

    # -- making and keeping -------------------------------------------------------------------

    def _make(self, photo: Photo) -> Thumb:
        image = self._read_disk(photo)
        if image is not None:
            return Thumb(image)
        try:
            image = self.loader(photo, self.max_side)
        except PhotosiftError as exc:
            return Thumb(None, str(exc) or type(exc).__name__)
        except OSError as exc:
            return Thumb(None, f"unreadable: {exc.strerror or exc}")
        self._write_disk(photo, image)
        return Thumb(image)

    def _remember(self, key: _Key, thumb: Thumb) -> None:
        with self._lock:
            self._memory[key] = thumb
            self._memory.move_to_end(key)
            while len(self._memory) > self.memory_items:
                self._memory.popitem(last=False)

    def _read_disk(self, photo: Photo) -> PILImage | None:
        path = self.disk_path(photo)
        if path is None or not _unchanged(photo):
            return None
        from PIL import Image

        try:
            with open(path, "rb") as fh, Image.open(fh, formats=("JPEG", "PNG")) as im:
                if max(im.size) > self.max_side:
                    raise ValueError(f"{im.width}x{im.height} is larger than {self.max_side}")
                im.load()
                return im
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged cache file: made again and rewritten
            log.info("ignoring damaged thumbnail %s: %s", path, exc)
            return None

    def _write_disk(self, photo: Photo, image: PILImage) -> None:
        path = self.disk_path(photo)
        if path is None:
            return
        try:
            self._ensure_dir()
            fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.cache_dir)
        except OSError as exc:  # the cache is an optimisation: previews go on without it
            log.warning("cannot write thumbnails to %s: %s", self.cache_dir, exc)
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                _encode(image, fh)
            os.replace(temporary, path)
        except (OSError, ValueError) as exc:
            log.warning("cannot write thumbnail %s: %s", path, exc)
            _remove(temporary)
        except BaseException:
            _remove(temporary)
            raise

    def _ensure_dir(self) -> None:
        """Make the cache folder private (0700), whoever made it first."""
        if self._dir_ready or self.cache_dir is None:
            return
        os.makedirs(self.cache_dir, mode=0o700, exist_ok=True)
        if stat.S_IMODE(os.stat(self.cache_dir).st_mode) & 0o077:
            os.chmod(self.cache_dir, 0o700)
        self._dir_ready = True


def _key(photo: Photo) -> _Key:
    return photo.path, photo.size, photo.mtime_ns


def _unchanged(photo: Photo) -> bool:
    try:
        st = os.stat(photo.path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (photo.size, photo.mtime_ns)


def _encode(image: PILImage, fh) -> None:
    """JPEG q85, or PNG for a picture with transparency (mkstemp made the file 0600)."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        image.save(fh, "PNG")
    else:
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(fh, "JPEG", quality=JPEG_QUALITY)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
