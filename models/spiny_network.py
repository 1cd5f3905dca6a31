#!/usr/bin/env python
"""A network of spiny HH neurons (the biophysics summary's eq 16) with PNP spines.

Excitatory synapses land on spine heads (AMPA + NMDA, through the chosen neck law),
inhibitory ones on the dendrite shaft (reversal -80 mV); every neuron also gets an
external Poisson drive on a few spines. Built with :func:`spinepnp.build.build_network`:
gid-based with ParallelContext, round-robin gids, connectivity and drive seeded per gid.
The same script runs serially or under MPI, unchanged, with the same spikes::

    python models/spiny_network.py --quick
    mpiexec -n 2 python models/spiny_network.py --quick

Writes (rank 0 only) to ``--out``: ``spikes.csv`` (law, gid, t [ms]),
``connections.csv`` (pre, post, spine (-1: shaft), ampa [uS], nmda [uS], delay [ms]),
``summary.csv`` (law, spikes, mean rate [Hz]) and ``spiny_network.png`` (raster per law).

Run ``python models/spiny_network.py --help``; importable, ``main(argv)`` does the work.
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
    from spinepnp.build import add_network_arguments
    p = argparse.ArgumentParser(
        prog="spiny_network.py", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default="results/spiny_network", help="output folder")
    p.add_argument("--laws", default="pnp,ohmic",
                   help="comma-separated neck laws, one network run each")
    add_network_arguments(p)        # the network's defaults live in NetworkSpec
    p.add_argument("--celsius", type=float, default=6.3,
                   help="temperature [degC] (NEURON's hh is calibrated at 6.3 degC)")
    p.add_argument("--tstop", type=float, default=500.0, help="simulated time [ms]")
    p.add_argument("--dt", type=float, default=0.025, help="time step [ms]")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    return p


def main(argv=None) -> dict:
    """Run the model; return the output paths (rank 0), summary rows and spikes."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _spinepnp()
    from dataclasses import replace

    from spinepnp import build, parallel
    build.apply_quick_network(args)
    parallel.init()          # MPI exactly when started by mpiexec (finds the library)
    from neuron import h
    from spinepnp.io import atomic_path, write_csv_atomic
    laws = [s.strip() for s in args.laws.split(",") if s.strip()]
    bad = [law for law in laws if law not in build.LAWS]
    if bad:
        parser.error(f"unknown law(s) {bad}; valid: {', '.join(build.LAWS)}")
    h.load_file("stdrun.hoc")
    h.celsius = args.celsius
    pc = h.ParallelContext()
    base = build.network_spec_from_args(args)
    spikes = {}
    for law in laws:
        net = build.build_network(replace(base, law=law), pc)
        spikes[law] = net.run(args.tstop, dt=args.dt)
        del net
        pc.gid_clear()
    result = {"spikes": spikes, "paths": {}, "summary": []}
    summary = [[law, len(s), len(s) / base.n_cells / (args.tstop / 1000.0)]
               for law, s in spikes.items()]
    result["summary"] = summary
    if int(pc.id()) == 0:
        out = Path(args.out)
        paths = result["paths"]
        paths["spikes"] = write_csv_atomic(
            out / "spikes.csv", ["law", "gid", "t_ms"],
            ([law, int(g), float(t)] for law, s in spikes.items() for g, t in s))
        paths["connections"] = write_csv_atomic(
            out / "connections.csv", ["pre", "post", "spine", "ampa_uS", "nmda_uS",
                                      "delay_ms"],
            ([c.pre, c.post, c.spine, c.ampa, c.nmda, c.delay]
             for c in build.network_connectivity(base)))
        paths["summary"] = write_csv_atomic(out / "summary.csv",
                                            ["law", "n_spikes", "mean_rate_Hz"], summary)
        if not args.no_plot:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            fig, axes = plt.subplots(len(laws), 1, figsize=(8, 2.2 * len(laws) + 0.6),
                                     sharex=True, squeeze=False)
            for ax, (law, s), row in zip(axes[:, 0], spikes.items(), summary):
                exc = s[:, 0] < base.n_exc
                ax.plot(s[exc, 1], s[exc, 0], "|", color="tab:red", ms=4, label="exc")
                ax.plot(s[~exc, 1], s[~exc, 0], "|", color="tab:blue", ms=4, label="inh")
                ax.set_ylabel("gid")
                ax.set_ylim(-0.5, base.n_cells - 0.5)
                ax.set_title(f"{law} spines: {row[1]} spikes, {row[2]:.1f} Hz per cell",
                             fontsize=9)
            axes[-1, 0].set_xlabel("time (ms)")
            axes[0, 0].legend(fontsize=8, loc="upper right")
            fig.tight_layout()
            png = out / "spiny_network.png"
            with atomic_path(png) as tmp:
                fig.savefig(tmp, dpi=110)
            plt.close(fig)
            paths["png"] = png
    pc.barrier()
    return result


if __name__ == "__main__":
    main()
    from spinepnp import parallel
    parallel.finish()         # under MPI: release the ranks and finalize
