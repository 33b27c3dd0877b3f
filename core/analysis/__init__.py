"""One photo at a time, pure, in any worker: the analysis of a file (``analyse``), its
fingerprints (``hashing``), quality metrics (``quality``), faces (``faces``), AI indicators
(``ai``) and the mask of its picture content (``masks``). Imports ``core.media`` and the
models; never the store, matching, judging or a UI."""
