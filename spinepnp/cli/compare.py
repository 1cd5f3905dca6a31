"""``spinepnp compare``: run the comparisons and write the report."""

from __future__ import annotations

import sys

from . import formatter

__all__ = ["add_parser", "run"]


def add_parser(sub):
    from ..compare import COMPARISONS
    p = sub.add_parser(
        "compare", formatter_class=formatter(),
        help="cable vs electro-diffusion comparisons, figures, CSV and a report",
        description="Run the comparisons (full PNP vs the NEURON PNP spine vs the Ohmic "
        "cable) and write PNG + CSV per comparison and report.md into --out.")
    p.add_argument("what", nargs="*", default=["all"],
                   help=f"comparisons to run: all or any of {', '.join(COMPARISONS)}")
    p.add_argument("--out", default="results", help="output folder")
    p.add_argument("--quick", action="store_true",
                   help="small meshes and short runs (the whole set in < 2 minutes)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..compare import COMPARISONS, available
    from ..compare import run as run_all
    what = list(args.what)
    if what == ["all"] or "all" in what:
        names = available()
        missing = [n for n in COMPARISONS if n not in names]
        if missing:
            print(f"spinepnp compare: not in this version yet: {', '.join(missing)}",
                  file=sys.stderr)
    else:
        bad = [w for w in what if w not in COMPARISONS]
        if bad:
            raise ValueError(f"unknown comparison(s) {', '.join(bad)}; choose from all, "
                             f"{', '.join(COMPARISONS)}")
        names = what
    if args.jobs < 1:
        raise ValueError(f"--jobs {args.jobs}: give at least 1 worker")
    results = run_all(names, args.out, quick=args.quick, jobs=args.jobs)
    for r in results:
        print(f"{r.name:11s} {r.seconds:7.1f} s  " + ", ".join(
            str(f) for f in r.figures + r.csvs))
    print(f"report: {args.out}/report.md")
    return 0
