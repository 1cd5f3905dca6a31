"""``spinepnp build``: compile the NMODL mechanisms into the cache ahead of time."""

from __future__ import annotations

from . import formatter

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("build", formatter_class=formatter(),
                       help="compile the NMODL mechanisms into the cache (ahead of time)",
                       description="Compile spinepnp's .mod files with nrnivmodl into the "
                       "cache directory ($SPINEPNP_CACHE or ~/.cache/spinepnp), keyed by a "
                       "hash of the sources and the NEURON version.")
    p.add_argument("--coreneuron", action="store_true",
                   help="build with `nrnivmodl -coreneuron` (needed for CoreNEURON runs)")
    p.add_argument("--force", action="store_true", help="rebuild even if cached")
    p.add_argument("--verbose", action="store_true", help="show nrnivmodl's output")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..loader import build, mod_files
    path = build(coreneuron=args.coreneuron, force=args.force, verbose=args.verbose)
    names = ", ".join(f.stem for f in mod_files())
    print(f"built {names}\n  in {path}" + (" (with CoreNEURON)" if args.coreneuron else ""))
    return 0
