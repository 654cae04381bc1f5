"""The world-model scaling study: table size x model size on the synthetic table world.

Same as ``aisam scaling`` with a GPU-sized default sweep (tables of 256, 1024 and 4096
states x models xs, s, m, l, 1000 steps of 1024 transitions each); later options
override these, and ``--ray-address auto`` spreads the runs over a Ray cluster:

    python examples/scaling_study.py --device cuda --out scaling
"""

from __future__ import annotations

import argparse
import sys

from aisam_agents.world_model import scaling

DOCS_SWEEP = [
    "--states",
    "256",
    "1024",
    "4096",
    "--models",
    "xs",
    "s",
    "m",
    "l",
    "--steps",
    "1000",
    "--batch-size",
    "1024",
    "--lr",
    "3e-3",
    "--evals",
    "5",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    scaling.add_arguments(parser)
    args = parser.parse_args(DOCS_SWEEP + list(sys.argv[1:] if argv is None else argv))
    return scaling.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
