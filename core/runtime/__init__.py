"""Where work runs: the scan pipeline (``scan``) and the executors that spread work over
processes. The only part of the engine besides the Library that drives the store."""
