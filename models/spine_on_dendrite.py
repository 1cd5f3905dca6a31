#!/usr/bin/env python
"""One spine on a passive dendrite, under every neck law, side by side.

For each law of :data:`spinepnp.build.LAWS` a separate passive dendrite (sealed far end,
attached to a passive soma unless ``--soma-diam 0``) carries one spine at its middle;
the same synaptic events (AMPA + optional NMDA, weights in uS) hit each spine head.
Recorded: head voltage, dendrite voltage under the spine and the neck current (positive
from the head into the dendrite).

Writes to ``--out``: ``traces.csv`` (t [ms] and, per law, vhead [mV], vdend [mV],
ineck [nA]), ``summary.csv`` (per law: neck R0 [MOhm], Ra [Ohm cm], peak head and
dendrite depolarisation [mV], peak neck current [pA], head-dendrite drop at that peak
[mV]) and ``spine_on_dendrite.png``.

Run ``python models/spine_on_dendrite.py --help``; importable, ``main(argv)`` does the
work.
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
    _spinepnp()
    from spinepnp.constants import DEFAULT_RA
    p = argparse.ArgumentParser(
        prog="spine_on_dendrite.py", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default="results/spine_on_dendrite", help="output folder")
    p.add_argument("--spine", default="thin",
                   help="spine set (thin, mushroom, stubby, paper)")
    p.add_argument("--laws", default="pnp,pnp-dynamic,ohmic,ohmic-ra,explicit,explicit-ra",
                   help="comma-separated neck laws")
    p.add_argument("--ampa", type=float, default=0.002,
                   help="AMPA peak conductance per event [uS]")
    p.add_argument("--nmda", type=float, default=0.0,
                   help="NMDA peak conductance per event [uS]")
    p.add_argument("--events", type=int, default=2, help="number of synaptic events")
    p.add_argument("--interval", type=float, default=20.0,
                   help="interval between events [ms]")
    p.add_argument("--start", type=float, default=5.0, help="first event [ms]")
    p.add_argument("--dend-length", type=float, default=200.0, help="dendrite length [um]")
    p.add_argument("--dend-diam", type=float, default=1.0, help="dendrite diameter [um]")
    p.add_argument("--soma-diam", type=float, default=20.0,
                   help="passive soma length = diameter at the dendrite's 0 end [um] "
                   "(0: no soma)")
    p.add_argument("--ra", type=float, default=DEFAULT_RA,
                   help="dendrite Ra and the typical neck Ra of the *-ra laws [ohm cm]")
    p.add_argument("--g-pas", type=float, default=1e-4, help="leak [S/cm2]")
    p.add_argument("--e-pas", type=float, default=-65.0, help="leak reversal [mV]")
    p.add_argument("--celsius", type=float, default=20.0,
                   help="temperature [degC] (the paper's 20 degC: VT = 25.26 mV)")
    p.add_argument("--tstop", type=float, default=60.0, help="simulated time [ms]")
    p.add_argument("--dt", type=float, default=0.025, help="time step [ms]")
    p.add_argument("--quick", action="store_true",
                   help="short run for tests (tstop 30 ms, dt 0.05 ms)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    return p


def simulate(args) -> dict:
    """Run every law; return {law: arrays dict} and {law: Spine facts}."""
    from neuron import h

    from spinepnp import build
    h.load_file("stdrun.hoc")
    h.celsius = args.celsius
    laws = [s.strip() for s in args.laws.split(",") if s.strip()]
    keep, probes = [], {}
    ns = h.NetStim()
    ns.number, ns.start, ns.interval, ns.noise = args.events, args.start, args.interval, 0
    for law in laws:
        d = h.Section(name=f"dend_{law}")
        d.L, d.diam, d.Ra, d.cm = args.dend_length, args.dend_diam, args.ra, 1.0
        d.nseg = build.d_lambda_nseg(d.L, d.diam, d.Ra, d.cm)
        d.insert("pas")
        for seg in d:
            seg.pas.g, seg.pas.e = args.g_pas, args.e_pas
        if args.soma_diam > 0:
            soma = h.Section(name=f"soma_{law}")
            soma.L = soma.diam = args.soma_diam
            soma.Ra, soma.cm = args.ra, 1.0
            soma.insert("pas")
            soma(0.5).pas.g, soma(0.5).pas.e = args.g_pas, args.e_pas
            d.connect(soma(1))
            keep.append(soma)
        typical_ra = {"ra": args.ra} if law.endswith("-ra") else {}
        sp = build.attach_spine(d(0.5), law, args.spine, name=f"spine_{law}",
                                **typical_ra)
        nc = sp.netcon(ns, ampa=args.ampa, nmda=args.nmda, delay=0.0)
        probes[law] = sp.record(dt=args.dt)
        keep += [d, sp, nc]
    h.dt = args.dt
    h.finitialize(args.e_pas)
    h.continuerun(args.tstop)
    out = {law: pr.arrays() for law, pr in probes.items()}
    facts = {law: {"r0": pr.spine.r0, "ra": pr.spine.ra} for law, pr in probes.items()}
    del keep, ns
    return out, facts


def main(argv=None) -> dict:
    """Run the model; return the output paths and the summary rows."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quick:
        args.tstop, args.dt = min(args.tstop, 30.0), 0.05
    _spinepnp()
    from spinepnp.build import LAWS
    bad = [law for law in args.laws.split(",") if law.strip() and law.strip() not in LAWS]
    if bad:
        parser.error(f"unknown law(s) {bad}; valid: {', '.join(LAWS)}")
    from spinepnp.io import atomic_path, write_csv_atomic
    traces, facts = simulate(args)
    out = Path(args.out)
    laws = list(traces)
    t = traces[laws[0]]["t"]
    n = min(len(traces[law]["t"]) for law in laws)
    header = ["t_ms"] + [f"{k}_{law}" for law in laws
                         for k in ("vhead_mV", "vdend_mV", "ineck_nA")]
    rows = ([float(t[i])] + [float(traces[law][k][i]) for law in laws
                             for k in ("vhead", "vdend", "ineck")] for i in range(n))
    paths = {"traces": write_csv_atomic(out / "traces.csv", header, rows)}
    summary = []
    for law in laws:
        a = traces[law]
        rest = a["vdend"][0]
        k = int(a["ineck"].argmax())
        summary.append([law, facts[law]["r0"], facts[law]["ra"] or "",
                        float(a["vhead"].max() - rest), float(a["vdend"].max() - rest),
                        float(a["ineck"][k] * 1e3), float(a["vhead"][k] - a["vdend"][k])])
    paths["summary"] = write_csv_atomic(
        out / "summary.csv", ["law", "r0_MOhm", "ra_ohm_cm", "peak_head_depol_mV",
                              "peak_dend_depol_mV", "peak_ineck_pA",
                              "neck_drop_at_peak_mV"], summary)
    if not args.no_plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(3, 1, figsize=(7, 8), sharex=True)
        for law in laws:
            a = traces[law]
            ax[0].plot(a["t"], a["vhead"], label=law)
            ax[1].plot(a["t"], a["vdend"], label=law)
            ax[2].plot(a["t"], a["ineck"] * 1e3, label=law)
        ax[0].set_ylabel("head voltage (mV)")
        ax[1].set_ylabel("dendrite voltage (mV)")
        ax[2].set_ylabel("neck current (pA)")
        ax[2].set_xlabel("time (ms)")
        ax[0].legend(fontsize=8, ncol=2)
        ax[0].set_title(f"{args.spine} spine, {args.dend_length:g} um passive dendrite, "
                        f"AMPA {args.ampa*1e3:g} nS"
                        + (f", NMDA {args.nmda*1e3:g} nS" if args.nmda else ""))
        fig.tight_layout()
        png = out / "spine_on_dendrite.png"
        with atomic_path(png) as tmp:
            fig.savefig(tmp, dpi=110)
        plt.close(fig)
        paths["png"] = png
    return {"paths": paths, "summary": summary}


if __name__ == "__main__":
    main()
