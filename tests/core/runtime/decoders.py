"""A decoder that dies, for scans run in worker processes: installed by the executor's
initializer in each worker, it ends the process (as a crash in a C decoder or the OOM killer
would) on every file whose name starts with "crash"."""

from __future__ import annotations

import os


def install_dying_decoder() -> None:
    from core.media import imaging

    real = imaging.decode

    def decode(fh, fmt, **kwargs):
        if os.path.basename(getattr(fh, "name", "")).startswith("crash"):
            os._exit(7)
        return real(fh, fmt, **kwargs)

    imaging.decode = decode
