"""The ``spinepnp`` command line: one entry point, subcommands.

    spinepnp build [--coreneuron]            compile the NMODL mechanisms ahead of time
    spinepnp law --neck cylinder ...         the analytic neck laws for given currents
    spinepnp pnp ...                         full PNP solver runs (steady sweep, transient)
    spinepnp pnp2d steady|transient ...      axisymmetric 2-D PNP on the spine's own geometry
    spinepnp compare ...                     cable vs electro-diffusion comparisons

Errors go to stderr with a non-zero exit code and say what to do.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import sys

from . import __version__

__all__ = ["main", "build_parser"]

# Subcommands that live with their own subsystem: module path -> (add_parser, run).
_PLUGINS = ["spinepnp.pnp.cli", "spinepnp.pnp2d.cli", "spinepnp.compare_cli", "spinepnp.bench_cli"]


class CLIError(Exception):
    """An error to report on stderr with exit code 2."""


def _fmt():
    return argparse.ArgumentDefaultsHelpFormatter


def _add_build(sub):
    p = sub.add_parser("build", formatter_class=_fmt(),
                       help="compile the NMODL mechanisms into the cache (ahead of time)",
                       description="Compile spinepnp's .mod files with nrnivmodl into the "
                       "cache directory ($SPINEPNP_CACHE or ~/.cache/spinepnp), keyed by a "
                       "hash of the sources and the NEURON version.")
    p.add_argument("--coreneuron", action="store_true",
                   help="build with `nrnivmodl -coreneuron` (needed for CoreNEURON runs)")
    p.add_argument("--force", action="store_true", help="rebuild even if cached")
    p.add_argument("--verbose", action="store_true", help="show nrnivmodl's output")
    p.set_defaults(func=_run_build)


def _run_build(args) -> int:
    from .loader import build, mod_files
    path = build(coreneuron=args.coreneuron, force=args.force, verbose=args.verbose)
    names = ", ".join(f.stem for f in mod_files())
    print(f"built {names}\n  in {path}" + (" (with CoreNEURON)" if args.coreneuron else ""))
    return 0


def _add_law(sub):
    p = sub.add_parser("law", formatter_class=_fmt(),
                       help="analytic electro-diffusion neck law: dV, R(I), R0, I_s",
                       description="Evaluate the paper's steady electro-diffusion laws "
                       "(corrected) for a neck geometry. Units: um, nA, mV, MOhm, mM, "
                       "um2/ms, degC. Current positive = into the head.")
    p.add_argument("--neck", choices=["cylinder", "hyperboloid"], default="cylinder",
                   help="neck geometry")
    p.add_argument("--length", type=float, default=1.0, help="cylinder length [um]")
    p.add_argument("--radius", type=float, default=0.05, help="cylinder radius [um]")
    p.add_argument("--a", type=float, default=0.05, help="hyperboloid semi-axis a [um]")
    p.add_argument("--b", type=float, default=0.05, help="hyperboloid semi-axis b [um]")
    p.add_argument("--c", type=float, default=0.2, help="hyperboloid flare c [um]")
    p.add_argument("--half-length", type=float, default=0.5,
                   help="hyperboloid half length [um]")
    p.add_argument("--current", type=float, nargs="+", default=[0.1],
                   help="injected current(s) [nA]")
    p.add_argument("--conc", type=float, default=167.0, help="bulk concentration [mM]")
    p.add_argument("--diffusion", type=float, default=1.33,
                   help="carrier diffusion coefficient [um2/ms]")
    p.add_argument("--celsius", type=float, default=20.0, help="temperature [degC]")
    p.add_argument("--csv", nargs="?", const="-", default=None, metavar="FILE",
                   help="write CSV (to FILE, or to stdout if no FILE is given)")
    p.set_defaults(func=_run_law)


def _run_law(args) -> int:
    from . import laws
    if args.neck == "cylinder":
        neck = laws.Cylinder(args.length, args.radius)
    else:
        neck = laws.Hyperboloid(args.a, args.b, args.c, args.half_length)
    kw = dict(conc=args.conc, diffusion=args.diffusion, celsius=args.celsius)
    r0 = laws.ohmic_resistance(neck, **kw)
    i_s = laws.saturation_current(neck, **kw)
    rows = []
    for i in args.current:
        dv = laws.delta_v(i, neck, **kw)
        r = laws.resistance(i, neck, **kw)
        rows.append({"current_nA": i, "dv_mV": dv, "R_MOhm": r, "R0_MOhm": r0,
                     "Isat_nA": i_s, "ohm_deviation_percent": 100.0 * (r - r0) / r0})
    if args.csv is not None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        for row in rows:
            w.writerow({k: f"{v:.10g}" for k, v in row.items()})
        if args.csv == "-":
            sys.stdout.write(buf.getvalue())
        else:
            from .io import write_text_atomic
            write_text_atomic(args.csv, buf.getvalue())
            print(f"wrote {args.csv}")
        return 0
    print(f"neck: {neck!r}; C = {args.conc:g} mM, D = {args.diffusion:g} um2/ms, "
          f"{args.celsius:g} degC (VT = {laws.thermal_voltage(args.celsius):.4f} mV)")
    print(f"R0 (Ohmic limit)   = {r0:.6g} MOhm")
    print(f"I_s (saturation)   = {i_s:.6g} nA  (largest current out of the head)")
    for row in rows:
        print(f"I = {row['current_nA']:+.6g} nA:  dV = {row['dv_mV']:+.6g} mV,  "
              f"R = {row['R_MOhm']:.6g} MOhm  ({row['ohm_deviation_percent']:+.3g} % vs Ohm)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spinepnp", formatter_class=_fmt(),
        description="Electro-diffusion (PNP) dendritic spines for NEURON, compared with "
        "the Ohmic cable. Units: mV, ms, um, mM, nA, uS, MOhm, um2/ms.")
    parser.add_argument("--version", action="version", version=f"spinepnp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_build(sub)
    _add_law(sub)
    for modname in _PLUGINS:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            # the subsystem is not installed (or not written yet): skip its subcommand
            if not (exc.name and (modname + ".").startswith(exc.name + ".")):
                raise
            continue
        mod.add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if getattr(args, "run", None):
            args.func = args.run
        else:
            parser.print_help(sys.stderr)
            return 2
    from .loader import MechanismBuildError
    try:
        return int(args.func(args) or 0)
    except (ValueError, CLIError, MechanismBuildError, OSError) as exc:
        print(f"spinepnp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"spinepnp {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
