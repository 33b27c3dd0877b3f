"""Photos to groups: the hash index (``hashindex``), visual comparison on thumbnails
(``similarity``), candidates and verification (``matcher``), clustering without chaining
(``clustering``) and the groups and tiers (``grouping``). Imports ``core.analysis`` and the
models; never the store, judging, the runtime or a UI: photos and thumbnails come in as
arguments."""
