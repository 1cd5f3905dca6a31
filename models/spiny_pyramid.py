#!/usr/bin/env python
"""NEURON's demo pyramidal cell with 1 spine per um and Poisson input, each neck law.

The reconstructed cell that ships with NEURON (``share/nrn/demo/pyramid.nrn``: soma and
78 dendritic sections, 5,350 um of dendrite) gets an hh soma, passive dendrites
(d_lambda segments on the 3-D diameters) and thin spines at 1 per um whose neck and head
sizes are drawn from the literature distributions
(:data:`spinepnp.population.SPINE_DISTRIBUTIONS`). ``--n-driven`` of them receive
independent Poisson trains (Random123 streams keyed on the spine's section name and
index, so every law sees the same trains); the others are folded into the dendrite
(F-factor). The cell is built and run once per law, side by side. At the defaults
(6.3 degC, hh's calibration temperature; 400 spines at 5 Hz, 3 nS AMPA + 1 nS NMDA) the
drive holds the soma near -57 mV and it fires irregularly, about 2 spikes per second;
``--quick`` (100 spines at 20 Hz for 150 ms) fires once. At 20 degC hh's faster gates
let the soma accommodate to the steady depolarisation and it does not fire.

Writes to ``--out``: ``traces.csv`` (t [ms]; per law soma voltage and the head voltage
of the first driven spine [mV]), ``spikes.csv`` (law, t [ms]), ``summary.csv`` (law,
spikes, rate [Hz], spines, driven spines, CPU seconds of the run) and
``spiny_pyramid.png``.

Run ``python models/spiny_pyramid.py --help``; importable, ``main(argv)`` does the work.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _spinepnp():
    """Import spinepnp, from the source checkout if it is not installed."""
    try:
        import spinepnp  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spiny_pyramid.py", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default="results/spiny_pyramid", help="output folder")
    p.add_argument("--laws", default="pnp-dynamic,ohmic,ohmic-ra",
                   help="comma-separated neck laws (see spinepnp.build.LAWS)")
    p.add_argument("--params", default="thin-dist",
                   help="spine geometry: a distribution (thin-dist, mushroom-dist) or a "
                   "spine set (thin, mushroom, stubby, paper)")
    p.add_argument("--density", type=float, default=1.0, help="spines per um")
    p.add_argument("--n-driven", type=int, default=400, help="spines with Poisson input")
    p.add_argument("--rate", type=float, default=5.0, help="input rate per spine [Hz]")
    p.add_argument("--ampa", type=float, default=0.003,
                   help="AMPA peak conductance per event [uS]")
    p.add_argument("--nmda", type=float, default=0.001,
                   help="NMDA peak conductance per event [uS]")
    p.add_argument("--seed", type=int, default=1, help="seed of spines and input")
    p.add_argument("--celsius", type=float, default=6.3,
                   help="temperature [degC] (NEURON's hh is calibrated at 6.3 degC; the "
                   "neck laws use VT at this temperature)")
    p.add_argument("--tstop", type=float, default=1000.0, help="simulated time [ms]")
    p.add_argument("--dt", type=float, default=0.025, help="time step [ms]")
    p.add_argument("--quick", action="store_true",
                   help="short run for tests (tstop 150 ms, 100 driven spines at >= 20 Hz)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    return p


def run_law(args, law: str) -> dict:
    """Build the spiny pyramid with ``law`` spines, drive it, return numpy arrays."""
    import numpy as np
    from neuron import h

    from spinepnp.loader import load_mechanisms
    from spinepnp.morphology import build_spiny_pyramid
    load_mechanisms()
    h.load_file("stdrun.hoc")
    h.celsius = args.celsius
    cell = build_spiny_pyramid(law, args.density, args.params, args.seed)
    pop = cell.spines
    drive = pop.drive(args.rate, n=args.n_driven, weight=args.ampa, nmda=args.nmda,
                      seed=args.seed)
    head = pop.record("vhead", drive.indices[:1], dt=args.dt)
    vsoma = h.Vector().record(cell.soma(0.5)._ref_v, args.dt)
    spikes = h.Vector()
    det = cell.spike_detector()
    det.record(spikes)
    h.dt = args.dt
    h.finitialize(-65.0)
    cpu = time.process_time()
    h.continuerun(args.tstop)
    cpu = time.process_time() - cpu
    out = {"t": head.times(), "vsoma": np.array(vsoma), "vhead": head.array()[0],
           "spikes": np.array(spikes), "n_spines": len(pop),
           "n_driven": len(drive.indices), "cpu_s": cpu}
    del det, head, drive, pop, cell
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    return out


def main(argv=None) -> dict:
    """Run the model; return the output paths and the summary rows."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quick:
        args.tstop = min(args.tstop, 150.0)
        args.n_driven = min(args.n_driven, 100)    # fewer: the soma does not fire
        args.rate = max(args.rate, 20.0)
    if args.n_driven < 1 or args.rate <= 0 or args.tstop <= 0:
        parser.error("--n-driven, --rate and --tstop must be positive")
    _spinepnp()
    from spinepnp import build
    from spinepnp.compare.common import save_figure
    from spinepnp.io import write_csv_atomic
    laws = [s.strip() for s in args.laws.split(",") if s.strip()]
    bad = [law for law in laws if law not in build.POINT_LAWS]
    if bad:
        parser.error(f"unknown or explicit law(s) {bad}; valid: "
                     f"{', '.join(build.POINT_LAWS)}")
    res = {}
    for law in laws:
        print(f"spiny_pyramid: {law} ...", file=sys.stderr, flush=True)
        res[law] = run_law(args, law)
    out = Path(args.out)
    n = min(min(len(r["t"]), len(r["vsoma"])) for r in res.values())
    t = res[laws[0]]["t"]
    header = ["t_ms"] + [f"{k}_mV_{law}" for law in laws for k in ("vsoma", "vhead")]
    rows = ([float(t[i])] + [float(res[law][k][i]) for law in laws
                             for k in ("vsoma", "vhead")] for i in range(n))
    paths = {"traces": write_csv_atomic(out / "traces.csv", header, rows)}
    paths["spikes"] = write_csv_atomic(
        out / "spikes.csv", ["law", "t_ms"],
        ([law, float(s)] for law in laws for s in res[law]["spikes"]))
    summary = [[law, len(res[law]["spikes"]),
                len(res[law]["spikes"]) / (args.tstop / 1000.0), res[law]["n_spines"],
                res[law]["n_driven"], res[law]["cpu_s"]] for law in laws]
    paths["summary"] = write_csv_atomic(
        out / "summary.csv",
        ["law", "n_spikes", "rate_Hz", "n_spines", "n_driven", "cpu_s"], summary)
    if not args.no_plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(2, 1, figsize=(8, 6), sharex=True,
                               gridspec_kw={"height_ratios": [3, 2]})
        for law in laws:
            ax[0].plot(res[law]["t"][:n], res[law]["vsoma"][:n], lw=0.8, label=law)
            ax[1].plot(res[law]["t"][:n], res[law]["vhead"][:n], lw=0.8, label=law)
        ax[0].set_ylabel("soma voltage (mV)")
        ax[1].set_ylabel("first driven spine's head (mV)")
        ax[1].set_xlabel("time (ms)")
        ax[0].legend(fontsize=8)
        ax[0].set_title(f"demo pyramid, {summary[0][3]} spines, {summary[0][4]} driven at "
                        f"{args.rate:g} Hz; " + ", ".join(f"{r[0]}: {r[1]} spikes"
                                                          for r in summary), fontsize=9)
        fig.tight_layout()
        paths["png"] = out / save_figure(fig, out, "spiny_pyramid.png")
    return {"paths": paths, "summary": summary}


if __name__ == "__main__":
    main()
