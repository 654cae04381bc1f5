"""The world-model scaling study as it ran for docs/world_model.md: resumable, on the GPU.

Same as ``aisam scaling`` (whose defaults are the documented sweep: deterministic tables
of 256 ... 65,536 states x 6 actions, a stochastic series at 1,024, models of 0.25 ... 16
parameters per table bit) with the output folder of the committed results and
``--resume``, so each run adds the points still missing. Later options override these;
``--time-limit`` stops a run in time for a job limit (the running point is checkpointed):

    python examples/scaling_study.py --device cuda --time-limit 500
"""

from __future__ import annotations

import argparse
import sys

from aisam_agents.studies import scaling

DOCS_RUN = ["--out", "results/scaling", "--resume"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    scaling.add_arguments(parser)
    args = parser.parse_args(DOCS_RUN + list(sys.argv[1:] if argv is None else argv))
    return scaling.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
