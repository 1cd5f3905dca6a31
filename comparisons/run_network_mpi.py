#!/usr/bin/env python
"""Run the spiny network serially, under MPI or under CoreNEURON, with safe output.

The network is :func:`spinepnp.build.build_network` (the biophysics summary's eq 16 with
spiny HH neurons: gid-based, round-robin over ranks, connectivity and drive seeded per
gid, so every split gives the same network). The run goes in chunks of simulated time
(:class:`spinepnp.parallel.ChunkedRun`): after each chunk every rank appends its spikes
and voltage traces to its own files in ``--out`` and flushes them, so an interrupted run
keeps everything up to the last chunk. Rank 0 prints progress::

    python comparisons/run_network_mpi.py --quick --out results/net1
    mpiexec -n 2 python comparisons/run_network_mpi.py --quick --out results/net2
    python comparisons/run_network_mpi.py --quick --coreneuron --out results/netc
    mpiexec -n 2 python comparisons/run_network_mpi.py --quick --coreneuron --out ...

Under ``mpiexec`` MPI is initialised automatically (``MPI_LIB_NRN_PATH`` is found for
the PyPI ``mpich`` package or a system MPI; set it yourself for other installations).
Read the results with ``spinepnp.parallel.read_spikes(out)`` and ``read_voltages(out)``;
rank 0 also writes ``spikes.csv`` (all ranks, sorted by gid then time) at the end.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path


def _spinepnp():
    try:
        import spinepnp  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_parser() -> argparse.ArgumentParser:
    _spinepnp()
    from spinepnp.build import LAWS, NetworkSpec, add_network_arguments
    p = argparse.ArgumentParser(prog="run_network_mpi.py",
                                description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default="results/network_mpi", help="output folder")
    p.add_argument("--law", default=NetworkSpec().law, choices=LAWS, help="spine neck law")
    add_network_arguments(p, ("spine", "n_cells", "n_spines", "in_degree", "dend_length",
                              "seed"))
    p.add_argument("--celsius", type=float, default=6.3, help="temperature [degC]")
    p.add_argument("--tstop", type=float, default=500.0, help="simulated time [ms]")
    p.add_argument("--dt", type=float, default=0.025, help="fixed time step [ms]")
    p.add_argument("--chunk", type=float, default=None,
                   help="simulated time between saves [ms] (default tstop/20)")
    p.add_argument("--record", default="0",
                   help="comma-separated gids whose soma, dendrite middle and first spine "
                   "head voltages are recorded ('' for none)")
    p.add_argument("--every", type=int, default=4,
                   help="keep every n-th time step of the traces")
    p.add_argument("--coreneuron", action="store_true", help="run under CoreNEURON")
    p.add_argument("--core-build", action="store_true",
                   help="load the CoreNEURON-enabled mechanism build even for a NEURON run "
                   "(so NEURON and CoreNEURON runs use the same compiled library)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def main(argv=None) -> dict:
    """Run; return ``{"spikes": (n, 2) array (rank 0, else None), "wall_s": ...}``."""
    args = build_parser().parse_args(argv)
    _spinepnp()
    from spinepnp import parallel
    from spinepnp.build import apply_quick_network, build_network, network_spec_from_args
    apply_quick_network(args)
    from spinepnp.loader import load_mechanisms
    # the first load in the process decides the build: CoreNEURON needs its own
    load_mechanisms(coreneuron=args.coreneuron or args.core_build)
    pc = parallel.init()
    from neuron import coreneuron, h

    from spinepnp.io import write_csv_atomic
    h.load_file("stdrun.hoc")
    h.celsius = args.celsius
    spec = network_spec_from_args(args, law=args.law)
    net = build_network(spec, pc)
    meta = {"spec": asdict(spec), "engine": "coreneuron" if args.coreneuron else "neuron",
            "celsius": args.celsius}
    run = parallel.ChunkedRun(args.out, pc, every=args.every, meta=meta)
    gids = [int(g) for g in args.record.split(",") if g.strip()]
    for gid in gids:
        cell = net.cells.get(gid)
        if cell is None:
            continue                      # owned by another rank
        run.record(f"soma{gid}", cell.soma(0.5)._ref_v)
        run.record(f"dend{gid}", cell.dend(0.5)._ref_v)
        if cell.spines:
            run.record(f"head{gid}", cell.spines[0].head_v_ref)
    h.cvode_active(0)
    if args.coreneuron:
        h.cvode.cache_efficient(1)
        coreneuron.enable = True
        coreneuron.verbose = 0
    try:
        wall = run.run(args.tstop, chunk=args.chunk, dt=args.dt,
                       progress=not args.quiet)
    finally:
        coreneuron.enable = False
    pc.barrier()
    out = {"spikes": None, "wall_s": wall}
    if int(pc.id()) == 0:
        spikes = parallel.read_spikes(args.out)
        write_csv_atomic(Path(args.out) / "spikes.csv", ["gid", "t_ms"],
                         ([int(g), float(t)] for g, t in spikes))
        out["spikes"] = spikes
        engine = "CoreNEURON" if args.coreneuron else "NEURON"
        print(f"{engine}, {int(pc.nhost())} rank(s): {len(spikes)} spikes from "
              f"{spec.n_cells} cells ({spec.n_cells * spec.n_spines} {args.law} spines) "
              f"in {args.tstop:g} ms; {wall:.2f} s wall; output in {args.out}",
              flush=True)
    parallel.finish(pc)
    return out


if __name__ == "__main__":
    main()
