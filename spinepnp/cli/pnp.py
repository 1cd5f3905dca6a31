"""``spinepnp pnp``: full PNP runs from the command line.

    spinepnp pnp sweep [--geometry cylinder] [--currents ...]   steady I-V sweep
    spinepnp pnp transient --waveform step --amplitude 0.05      transient run

Each writes CSV files and a PNG figure (V(x), c(x) per species, and the I-V curve with
the electroneutral law and Ohm overlaid) into ``--out``, atomically; progress goes to
stderr. Units: um, nA, mV, mM, ms, degC.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

from ..progress import Progress
from . import add_neck_options, add_output_options, formatter, neck_from_args

__all__ = ["add_parser", "run"]


def _common(p):
    g = p.add_argument_group("geometry")
    g.add_argument("--geometry", choices=["cylinder", "hyperboloid", "spine"],
                   default="cylinder", help="domain: neck cylinder, hyperboloid neck, "
                   "or a whole spine (ball head on a cylindrical neck)")
    add_neck_options(g, "cylinder/spine neck")
    g.add_argument("--head-radius", type=float, default=0.25, help="spine head radius [um]")
    g.add_argument("--cap-radius", type=float, default=0.01,
                   help="spine injection cap radius [um]")
    s = p.add_argument_group("electrolyte and numerics")
    s.add_argument("--species", choices=["table1", "binary"], default="table1",
                   help="table1: Na 12, K 155, anion 167 mM (paper Table I); binary: "
                   "Na and anion at 167 mM")
    s.add_argument("--celsius", type=float, default=20.0, help="temperature [degC]")
    s.add_argument("--nodes", type=int, default=2001, help="mesh nodes")
    s.add_argument("--head-bc", choices=["insulating", "neutral"], default="insulating",
                   help="potential condition at the head end")
    add_output_options(p, "pnp", "no progress bar")


def add_parser(subparsers):
    """Add the ``pnp`` subcommand (with ``sweep`` and ``transient``) to ``subparsers``."""
    p = subparsers.add_parser(
        "pnp", formatter_class=formatter(),
        help="full Poisson-Nernst-Planck solver: steady I-V sweep or transient",
        description="Solve the full (non-electroneutral) PNP equations along a neck or "
        "a whole spine, and compare with the electroneutral law and Ohm. Writes CSV and "
        "a PNG figure.")
    sub = p.add_subparsers(dest="pnp_mode", metavar="MODE")
    sw = sub.add_parser("sweep", formatter_class=formatter(), help="steady I-V sweep",
                        description="Steady states for a list of injected currents.")
    _common(sw)
    sw.add_argument("--currents", type=float, nargs="+", default=None,
                    help="currents [nA] (default: 41 from -0.9 to +5 times the "
                    "saturation current)")
    tr = sub.add_parser("transient", formatter_class=formatter(), help="transient run",
                        description="Time course for a step or alpha-function current.")
    _common(tr)
    tr.add_argument("--waveform", choices=["step", "alpha"], default="step",
                    help="current waveform")
    tr.add_argument("--amplitude", type=float, default=0.05,
                    help="step amplitude or alpha peak [nA]")
    tr.add_argument("--t-on", type=float, default=0.0, help="onset [ms]")
    tr.add_argument("--t-off", type=float, default=math.inf, help="step offset [ms]")
    tr.add_argument("--tpeak", type=float, default=1.0, help="alpha time to peak [ms]")
    tr.add_argument("--t-stop", type=float, default=10.0, help="end time [ms]")
    tr.add_argument("--samples", type=int, default=101, help="output samples")
    tr.add_argument("--hh-ring", type=float, default=None, metavar="X",
                    help="add an HH Na ring centred at X [um]")
    tr.add_argument("--hh-gmax", type=float, default=0.01, help="ring gmax [uS]")
    tr.add_argument("--v-rest", type=float, default=-70.0,
                    help="membrane potential at the dendrite end [mV]")
    p.set_defaults(func=run, _pnp_parser=p)
    return p


def _species(args):
    from ..pnp.species import Species, default_species
    if args.species == "binary":
        return [Species("na", 1, 1.33, 167.0), Species("a", -1, 2.03, 167.0)]
    return default_species()


def _law_functions(neck, species, carrier, celsius):
    """Electroneutral law and Ohm for monovalent species: ``(law(I), ohm(I))`` [mV]."""
    from .. import laws
    sp = {s.name: s for s in species}
    c = sp[carrier]
    if any(abs(s.z) != 1 for s in species):
        return None, None
    counter = sum(s.conc for s in species if s.z != c.z)
    sign = c.z
    kw = dict(conc=counter, diffusion=c.diffusion, celsius=celsius)
    r0 = laws.ohmic_resistance(neck, **kw)

    def law(i):
        try:
            return sign * laws.delta_v(sign * i, neck, **kw)
        except ValueError:
            return float("nan")
    return law, (lambda i: r0 * i)


def _run_sweep(args, neck, species):
    from ..io import write_csv_atomic
    from ..pnp.steady import saturation_current, sweep_steady
    carrier = "na"
    sat = saturation_current(neck, species, carrier, args.celsius)
    if args.currents:
        cur = np.array(args.currents, dtype=float)
    elif sat is not None:
        cur = np.linspace(-0.9 * sat, 5.0 * sat, 41)   # sat >= 0: from near -I_sat
    else:
        raise ValueError("give --currents: no saturation current is known for these "
                         "species")
    bar = Progress(1, "pnp sweep", quiet=args.quiet)
    iv = sweep_steady(neck, cur, species, carrier, args.celsius, n=args.nodes,
                      head_bc=args.head_bc, keep_solutions=True,
                      progress=lambda d, t: bar(d, t, f"{d}/{t} currents"))
    law, ohm = _law_functions(neck, species, carrier, args.celsius)
    lv = np.array([law(i) for i in cur]) if law else np.full(cur.size, np.nan)
    ov = np.array([ohm(i) for i in cur]) if ohm else np.full(cur.size, np.nan)
    out = os.path.join(args.out, f"{args.prefix}_iv.csv")
    with np.errstate(divide="ignore", invalid="ignore"):
        rows = [(float(i), float(vb), float(vh), float(l), float(o),
                 float(vb / i) if i else float("nan"))
                for i, vb, vh, l, o in zip(cur, iv.v_bulk, iv.v_head, lv, ov)]
    write_csv_atomic(out, ["current_nA", "v_bulk_head_mV", "v_head_wall_mV", "law_mV",
                           "ohm_mV", "R_MOhm"], rows)
    files = [out]
    order = np.argsort(cur)
    picks = [iv.solutions[k] for k in order[[0, len(order) // 2, -1]]]
    prof = os.path.join(args.out, f"{args.prefix}_profiles.csv")
    header = ["x_um"]
    cols = [picks[0].x]
    for s in picks:
        tag = f"I{s.current:+.6g}nA"
        header.append(f"v_mV_{tag}")
        cols.append(s.v)
        for name, c in s.c.items():
            header.append(f"c_{name}_mM_{tag}")
            cols.append(c)
    write_csv_atomic(prof, header, [tuple(float(v) for v in r) for r in zip(*cols)])
    files.append(prof)
    if not args.no_plot:
        from ..pnp.plot import figure_sweep, save_figure
        png = os.path.join(args.out, f"{args.prefix}_sweep.png")
        save_figure(figure_sweep(iv, lv if law else None, ov if ohm else None, picks), png)
        files.append(png)
    print(f"pnp sweep: {cur.size} currents on {args.nodes} nodes in {iv.elapsed:.2f} s")
    for f in files:
        print(f"wrote {f}")
    return 0


def _run_transient(args, neck, species):
    from ..io import write_csv_atomic
    from ..pnp.rings import HHNaRing
    from ..pnp.stimuli import alpha, step
    from ..pnp.transient import solve_transient
    if args.waveform == "step":
        wave = step(args.amplitude, args.t_on, args.t_off)
    else:
        wave = alpha(args.amplitude, args.tpeak, args.t_on)
    if args.samples < 2:
        raise ValueError("--samples must be at least 2")
    rings = [HHNaRing(args.hh_ring, args.hh_gmax)] if args.hh_ring is not None else []
    bar = Progress(args.t_stop, "pnp transient", quiet=args.quiet)
    t0 = time.perf_counter()
    tr = solve_transient(neck, wave, args.t_stop, species, "na", args.celsius,
                         t_eval=np.linspace(0.0, args.t_stop, args.samples),
                         rings=rings, v_rest=args.v_rest, n=args.nodes,
                         head_bc=args.head_bc,
                         progress=lambda t, ts: bar(t, ts, f"t = {t:.4g} ms"))
    elapsed = time.perf_counter() - t0
    law, ohm = _law_functions(neck, species, "na", args.celsius)
    vb = tr.bulk_head_potential()
    out = os.path.join(args.out, f"{args.prefix}_transient.csv")
    header = ["t_ms", "current_nA", "v_head_wall_mV", "v_bulk_head_mV", "v_max_mV",
              "law_mV", "ohm_mV"]
    header += [f"ring{j}_vm_mV" for j in range(len(rings))]
    header += [f"ring{j}_current_nA" for j in range(len(rings))]
    rows = []
    for k in range(len(tr.t)):
        i = float(tr.current[k])
        rows.append((float(tr.t[k]), i, float(tr.head_potential[k]), float(vb[k]),
                     float(tr.max_potential[k]), law(i) if law else float("nan"),
                     ohm(i) if ohm else float("nan"), *map(float, tr.ring_vm[k]),
                     *map(float, tr.ring_current[k])))
    write_csv_atomic(out, header, rows)
    files = [out]
    prof = os.path.join(args.out, f"{args.prefix}_transient_profiles.csv")
    ks = np.unique(np.linspace(0, len(tr.t) - 1, 5).round().astype(int))
    header = ["x_um"]
    cols = [tr.x]
    for k in ks:
        tag = f"t{tr.t[k]:.6g}ms"
        header.append(f"v_mV_{tag}")
        cols.append(tr.v[k])
        for name, c in tr.c.items():
            header.append(f"c_{name}_mM_{tag}")
            cols.append(c[k])
    write_csv_atomic(prof, header, [tuple(float(v) for v in r) for r in zip(*cols)])
    files.append(prof)
    if not args.no_plot:
        from ..pnp.plot import figure_transient, save_figure
        png = os.path.join(args.out, f"{args.prefix}_transient.png")
        save_figure(figure_transient(tr, law, ohm), png)
        files.append(png)
    print(f"pnp transient: {args.t_stop:g} ms in {tr.n_steps} steps "
          f"({tr.n_rejected} rejected) on {args.nodes} nodes, {elapsed:.2f} s")
    for f in files:
        print(f"wrote {f}")
    return 0


def run(args) -> int:
    """Run ``spinepnp pnp`` for parsed ``args``; returns the exit code.

    Raises ValueError (reported by the main CLI on stderr) for invalid input, and the
    solver's errors (saturation, depletion, convergence) with their messages.
    """
    mode = getattr(args, "pnp_mode", None)
    if mode not in ("sweep", "transient"):
        args._pnp_parser.print_help(sys.stderr)
        return 2
    if args.nodes < 3:
        raise ValueError("--nodes must be at least 3")
    neck = neck_from_args(args.geometry, args)
    species = _species(args)
    from ..pnp.errors import PNPError
    try:
        if mode == "sweep":
            return _run_sweep(args, neck, species)
        return _run_transient(args, neck, species)
    except PNPError as exc:             # convergence or depletion: a clear message
        raise ValueError(str(exc)) from exc
