"""Where work runs: the ``Executor`` seam (``executor``: the protocol and the in-process
one), worker processes that survive a dying decoder (``processes``, ``worker``), the scan
pipeline (``scan``) and the check of roots that come and go (``roots``). Besides the Library,
the only part of the engine that drives the store."""
