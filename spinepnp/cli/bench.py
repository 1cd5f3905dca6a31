"""``spinepnp bench``: the scaling benchmark (:mod:`spinepnp.bench.scale`)."""

from __future__ import annotations

from . import formatter

__all__ = ["add_parser", "run"]


def add_parser(sub):
    from ..bench import scale
    p = sub.add_parser("bench", formatter_class=formatter(),
                       help="scaling benchmark: 10^3-10^5 spines, MPI, CoreNEURON, memory",
                       description=scale.__doc__.split("\n\n")[0].replace("``", ""))
    scale.add_arguments(p)
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..bench import scale
    scale.run_bench(args)
    return 0
