"""``python -m tests.families OUT [--sources N] [--seed S]``: write a corpus to look at."""

import json
from pathlib import Path

from tests.families import build

if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write a near-duplicate families corpus.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    made = build(args.out, sources=args.sources, seed=args.seed)
    (args.out / "truth.json").write_text(json.dumps(made.to_json(), indent=1), encoding="utf-8")
    print(f"{len(made.files)} files under {args.out}")
