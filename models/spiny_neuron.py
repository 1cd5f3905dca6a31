#!/usr/bin/env python
"""A spiny neuron (HH soma, passive dendrite, synapses on spine heads) under each law.

The neuron of :func:`spinepnp.build.build_spiny_neuron` is built once per neck law and
driven by the same input: every spine head receives an independent Poisson train
(``NetStim`` with a Random123 stream keyed on the spine's index and ``--seed``, so the
trains are identical across laws and runs). Recorded: soma voltage, the head voltage of
the spine nearest the dendrite's middle, the dendrite voltage under it, soma spikes.

Writes to ``--out``: ``traces.csv`` (t [ms]; per law vsoma, vhead, vdend [mV]),
``spikes.csv`` (law, t [ms]), ``summary.csv`` (law, spikes, rate [Hz], neck R0 [MOhm])
and ``spiny_neuron.png``.

Run ``python models/spiny_neuron.py --help``; importable, ``main(argv)`` does the work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _spinepnp():
    """Import spinepnp, from the source checkout if it is not installed."""
    try:
        import spinepnp  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spiny_neuron.py", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default="results/spiny_neuron", help="output folder")
    p.add_argument("--laws", default="pnp,ohmic,explicit-ra",
                   help="comma-separated neck laws (see spinepnp.build.LAWS)")
    p.add_argument("--spine", default="thin",
                   help="spine set (thin, mushroom, stubby, paper)")
    p.add_argument("--n-spines", type=int, default=50, help="number of spines")
    p.add_argument("--rate", type=float, default=10.0,
                   help="Poisson input rate per spine [Hz]")
    p.add_argument("--ampa", type=float, default=0.0007,
                   help="AMPA peak conductance per event [uS]")
    p.add_argument("--nmda", type=float, default=0.0002,
                   help="NMDA peak conductance per event [uS]")
    p.add_argument("--dend-length", type=float, default=500.0, help="dendrite length [um]")
    p.add_argument("--soma", default="hh", help="soma model: hh or summary (eq 9 ratios)")
    p.add_argument("--seed", type=int, default=1, help="seed of the input trains")
    p.add_argument("--celsius", type=float, default=6.3,
                   help="temperature [degC] (NEURON's hh is calibrated at 6.3 degC; the "
                   "neck laws use VT at this temperature)")
    p.add_argument("--tstop", type=float, default=500.0, help="simulated time [ms]")
    p.add_argument("--dt", type=float, default=0.025, help="time step [ms]")
    p.add_argument("--quick", action="store_true",
                   help="short run for tests (tstop 100 ms, rate at least 20 Hz)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    return p


def run_law(args, law: str) -> dict:
    """Build the neuron with ``law`` spines, drive it, return numpy arrays."""
    import numpy as np
    from neuron import h

    from spinepnp import build
    h.load_file("stdrun.hoc")
    h.celsius = args.celsius
    cell = build.build_spiny_neuron(args.n_spines, law, args.spine,
                                    dend_length=args.dend_length, soma=args.soma,
                                    name=f"n_{law}")
    keep = []
    for k, sp in enumerate(cell.spines):
        ns = h.NetStim()
        ns.interval, ns.number, ns.start, ns.noise = 1000.0 / args.rate, 1e9, 0.0, 1.0
        ns.noiseFromRandom123(k, 0, args.seed)
        keep += [ns, sp.netcon(ns, ampa=args.ampa, nmda=args.nmda, delay=1.0)]
    probe = cell.spines[len(cell.spines) // 2].record(dt=args.dt)
    vsoma = h.Vector().record(cell.soma(0.5)._ref_v, args.dt)
    spikes = h.Vector()
    det = cell.spike_detector()
    det.record(spikes)
    h.dt = args.dt
    h.finitialize(-65.0)
    h.continuerun(args.tstop)
    from spinepnp.validity import warn_invalid
    warn_invalid(context="spiny_neuron")   # drop-in spines outside the model's validity
    a = probe.arrays()
    out = {"t": a["t"], "vsoma": np.array(vsoma), "vhead": a["vhead"], "vdend": a["vdend"],
           "spikes": np.array(spikes), "r0": cell.spines[0].r0}
    del keep, det, probe, cell
    return out


def main(argv=None) -> dict:
    """Run the model; return the output paths and the summary rows."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quick:
        args.tstop, args.rate = min(args.tstop, 100.0), max(args.rate, 20.0)
    _spinepnp()
    from spinepnp import build
    from spinepnp.io import atomic_path, write_csv_atomic
    laws = [s.strip() for s in args.laws.split(",") if s.strip()]
    bad = [law for law in laws if law not in build.LAWS]
    if bad:
        parser.error(f"unknown law(s) {bad}; valid: {', '.join(build.LAWS)}")
    res = {law: run_law(args, law) for law in laws}
    out = Path(args.out)
    n = min(len(r["t"]) for r in res.values())
    t = res[laws[0]]["t"]
    header = ["t_ms"] + [f"{k}_mV_{law}" for law in laws
                         for k in ("vsoma", "vhead", "vdend")]
    rows = ([float(t[i])] + [float(res[law][k][i]) for law in laws
                             for k in ("vsoma", "vhead", "vdend")] for i in range(n))
    paths = {"traces": write_csv_atomic(out / "traces.csv", header, rows)}
    paths["spikes"] = write_csv_atomic(
        out / "spikes.csv", ["law", "t_ms"],
        ([law, float(s)] for law in laws for s in res[law]["spikes"]))
    summary = [[law, len(res[law]["spikes"]),
                len(res[law]["spikes"]) / (args.tstop / 1000.0), res[law]["r0"]]
               for law in laws]
    paths["summary"] = write_csv_atomic(out / "summary.csv",
                                        ["law", "n_spikes", "rate_Hz", "neck_r0_MOhm"],
                                        summary)
    if not args.no_plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(2, 1, figsize=(8, 6), sharex=True,
                               gridspec_kw={"height_ratios": [3, 2]})
        for law in laws:
            ax[0].plot(res[law]["t"], res[law]["vsoma"], lw=0.8, label=law)
            ax[1].plot(res[law]["t"], res[law]["vhead"], lw=0.8, label=law)
        ax[0].set_ylabel("soma voltage (mV)")
        ax[1].set_ylabel("middle spine head (mV)")
        ax[1].set_xlabel("time (ms)")
        ax[0].legend(fontsize=8)
        ax[0].set_title(f"{args.n_spines} {args.spine} spines, {args.rate:g} Hz each; "
                        + ", ".join(f"{r[0]}: {r[1]} spikes" for r in summary), fontsize=9)
        fig.tight_layout()
        png = out / "spiny_neuron.png"
        with atomic_path(png) as tmp:
            fig.savefig(tmp, dpi=110)
        plt.close(fig)
        paths["png"] = png
    return {"paths": paths, "summary": summary}


if __name__ == "__main__":
    main()
