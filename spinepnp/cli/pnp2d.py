"""``spinepnp pnp2d``: axisymmetric 2-D PNP runs from the command line.

    spinepnp pnp2d steady [--geometry spine] [--currents 0.05 ...]   steady states
    spinepnp pnp2d transient --waveform step --amplitude 0.05         time course

``steady`` writes the I-V table (2-D head centre, maximum and cap potentials beside the
quasi-1D solver's on the same spine), the nodal fields of the largest current, and a
PNG (potential and carrier maps, axis profile, I-V). ``transient`` writes the time
course and a PNG. Files go to ``--out`` atomically; progress goes to stderr. Units: um,
nA, mV, mM, ms, degC.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

from ..progress import Progress
from . import add_output_options, formatter

__all__ = ["add_parser", "run"]


def _common(p):
    g = p.add_argument_group("geometry [um]")
    g.add_argument("--geometry", choices=["spine", "cylinder", "hyperboloid"],
                   default="spine", help="ball head on a neck on a dendrite, a cylinder "
                   "fed over its end, or a hyperboloid neck fed over its end")
    g.add_argument("--neck-length", type=float, default=1.0, help="spine neck length")
    g.add_argument("--neck-radius", type=float, default=0.05, help="spine neck radius")
    g.add_argument("--head-radius", type=float, default=0.25, help="spine head radius")
    g.add_argument("--cap-radius", type=float, default=None,
                   help="injection cap radius (default: 0.01 for a spine, the whole end "
                   "of a cylinder)")
    g.add_argument("--dendrite-radius", type=float, default=1.0,
                   help="half ball of dendrite below the spine")
    g.add_argument("--length", type=float, default=1.0, help="cylinder length")
    g.add_argument("--radius", type=float, default=0.05, help="cylinder radius")
    g.add_argument("--a", type=float, default=0.05, help="hyperboloid waist radius")
    g.add_argument("--c", type=float, default=0.2, help="hyperboloid flare")
    g.add_argument("--half-length", type=float, default=0.5, help="hyperboloid half length")
    s = p.add_argument_group("electrolyte and numerics")
    s.add_argument("--species", choices=["table1", "binary"], default="table1",
                   help="table1: Na 12, K 155, anion 167 mM (paper Table I); binary: Na "
                   "and anion at 167 mM")
    s.add_argument("--celsius", type=float, default=20.0, help="temperature [degC]")
    s.add_argument("--resolution", type=float, default=1.0,
                   help="mesh refinement factor (element sizes scale as 1/resolution)")
    add_output_options(p, "pnp2d", "no progress on stderr")


def add_parser(subparsers):
    """Add the ``pnp2d`` subcommand (modes ``steady`` and ``transient``)."""
    p = subparsers.add_parser(
        "pnp2d", formatter_class=formatter(),
        help="axisymmetric 2-D PNP solver: steady states or a transient",
        description="Solve the full PNP equations on the spine's own axisymmetric "
        "(r, z) domain: cap spreading, junctions, a head that is not isopotential. "
        "Writes CSV and a PNG figure.")
    sub = p.add_subparsers(dest="pnp2d_mode", metavar="MODE")
    st = sub.add_parser("steady", formatter_class=formatter(), help="steady states (I-V)",
                        description="Steady states for a list of injected currents, "
                        "beside the quasi-1D solver on the same geometry.")
    _common(st)
    st.add_argument("--currents", type=float, nargs="+", default=[0.05],
                    help="currents through the cap [nA]")
    tr = sub.add_parser("transient", formatter_class=formatter(), help="transient run",
                        description="Time course for a step or alpha-function current.")
    _common(tr)
    tr.add_argument("--waveform", choices=["step", "alpha"], default="step")
    tr.add_argument("--amplitude", type=float, default=0.05,
                    help="step amplitude or alpha peak [nA]")
    tr.add_argument("--t-on", type=float, default=0.0, help="onset [ms]")
    tr.add_argument("--t-off", type=float, default=math.inf, help="step offset [ms]")
    tr.add_argument("--tpeak", type=float, default=1.0, help="alpha time to peak [ms]")
    tr.add_argument("--t-stop", type=float, default=2.0, help="end time [ms]")
    tr.add_argument("--samples", type=int, default=41, help="output samples")
    p.set_defaults(func=run, _pnp2d_parser=p)
    return p


def geometry_from_args(args):
    from ..pnp2d import geometry as g
    if args.geometry == "spine":
        return g.BallAndNeck(args.neck_length, args.neck_radius, args.head_radius,
                             0.01 if args.cap_radius is None else args.cap_radius,
                             args.dendrite_radius)
    if args.geometry == "cylinder":
        return g.Cylinder(args.length, args.radius, args.cap_radius)
    return g.HyperboloidNeck(args.a, args.c, args.half_length)


def _run_steady(args, geom, species):
    from .. import pnp
    from ..io import write_csv_atomic
    from ..pnp2d import build_problem, sweep_steady
    cur = np.array(args.currents, dtype=float)
    bar = Progress(1, "pnp2d steady", quiet=args.quiet)
    bar(0, cur.size, "meshing")
    P = build_problem(geom, species, celsius=args.celsius, resolution=args.resolution)
    iv = sweep_steady(None, cur, problem=P, keep_solutions=True,
                      progress=lambda d, t: bar(d, t, f"{d}/{t} currents, {P.n} nodes"))
    one = pnp.sweep_steady(geom.quasi_1d(), cur, species, "na", args.celsius,
                           keep_solutions=True)
    zc = geom.head_centre[1]
    v1c = np.array([float(s.potential_at(min(zc, s.x[-1]))) for s in one.solutions])
    v1m = np.array([float(s.v.max() if s.current >= 0 else s.v.min())
                    for s in one.solutions])
    rows = [(float(i), a, b, c, d, e) for i, a, b, c, d, e in
            zip(cur, iv.v_centre, iv.v_max, iv.v_cap, v1c, v1m)]
    out = os.path.join(args.out, f"{args.prefix}_iv.csv")
    write_csv_atomic(out, ["current_nA", "v_centre_2d_mV", "v_max_2d_mV", "v_cap_2d_mV",
                           "v_centre_quasi1d_mV", "v_max_quasi1d_mV"], rows)
    files = [out]
    big = iv.solutions[int(np.argmax(np.abs(cur)))]
    fields = os.path.join(args.out, f"{args.prefix}_fields.csv")
    big.to_csv(fields)
    files.append(fields)
    if not args.no_plot:
        from ..pnp.plot import save_figure
        from ..pnp2d.plot import figure_steady
        png = os.path.join(args.out, f"{args.prefix}_steady.png")
        curves = {"2-D head centre": (cur, iv.v_centre), "2-D max": (cur, iv.v_max),
                  "quasi-1D head centre": (cur, v1c)} if cur.size > 1 else None
        save_figure(figure_steady(big, curves), png)
        files.append(png)
    print(f"pnp2d steady: {geom!r}, {cur.size} currents on {P.n} nodes in "
          f"{iv.elapsed:.2f} s")
    for i, a, b, c in zip(cur, iv.v_centre, iv.v_max, v1c):
        print(f"  I = {1e3 * i:+.4g} pA: head centre {a:.4f} mV, max {b:.4f} mV "
              f"(quasi-1D head centre {c:.4f} mV)")
    for f in files:
        print(f"wrote {f}")
    return 0


def _run_transient(args, geom, species):
    from ..pnp.stimuli import alpha, step
    from ..pnp2d import solve_transient
    wave = step(args.amplitude, args.t_on, args.t_off) if args.waveform == "step" else \
        alpha(args.amplitude, args.tpeak, args.t_on)
    if args.samples < 2:
        raise ValueError("--samples must be at least 2")
    bar = Progress(args.t_stop, "pnp2d transient", quiet=args.quiet)
    t0 = time.perf_counter()
    tr = solve_transient(geom, wave, args.t_stop, species, args.celsius,
                         resolution=args.resolution,
                         t_eval=np.linspace(0.0, args.t_stop, args.samples),
                         progress=lambda t, ts: bar(t, ts, f"t = {t:.4g} ms"))
    elapsed = time.perf_counter() - t0
    out = os.path.join(args.out, f"{args.prefix}_transient.csv")
    tr.to_csv(out)
    files = [out]
    if not args.no_plot:
        from ..pnp.plot import save_figure
        from ..pnp2d.plot import figure_transient
        png = os.path.join(args.out, f"{args.prefix}_transient.png")
        save_figure(figure_transient(tr), png)
        files.append(png)
    print(f"pnp2d transient: {geom!r}, {args.t_stop:g} ms in {tr.steps} steps on "
          f"{tr.final.problem.n} nodes, {elapsed:.2f} s")
    for f in files:
        print(f"wrote {f}")
    return 0


def run(args) -> int:
    """Run ``spinepnp pnp2d`` for parsed ``args``; returns the exit code (ValueError
    for bad input, reported by the main CLI)."""
    mode = getattr(args, "pnp2d_mode", None)
    if mode not in ("steady", "transient"):
        parser = getattr(args, "_pnp2d_parser", None)
        if parser is not None:
            parser.print_help(sys.stderr)
        else:
            print("spinepnp pnp2d: choose a mode: steady or transient", file=sys.stderr)
        return 2
    from .pnp import _species
    geom = geometry_from_args(args)
    species = _species(args)
    from ..pnp.errors import PNPError
    try:
        if mode == "steady":
            return _run_steady(args, geom, species)
        return _run_transient(args, geom, species)
    except PNPError as exc:
        raise ValueError(str(exc)) from exc
