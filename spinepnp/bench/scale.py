"""``spinepnp bench``: scaling benchmark of spiny networks (10^3-10^5 spines) on
NEURON with 1 and 2 MPI ranks and on CoreNEURON, against explicit Ohmic Section spines
and spine-less Exp2Syn synapses.

For every size (total spines) and model it builds a network with
:func:`spinepnp.build.build_network` (HH soma + passive dendrite cells, fixed
in-degree, Poisson drive, gids round robin over ranks, the same seeds; see
:func:`bench_spec`) with ``--spines-per-cell`` spines per cell, and prints:

- wall time per simulated second (``pc.psolve`` between barriers; building is reported
  apart), for NEURON on 1 rank, 2 MPI ranks, and CoreNEURON (whose ``psolve`` includes
  copying the model in and out, measured separately as ``transfer``);
- peak memory (the process's peak resident set, ``VmHWM``; summed over ranks for MPI)
  and memory per spine: ``(peak(model) - peak(no spines, no synapses)) / n_spines``;
- the speed-ups of 2 ranks over 1 and of CoreNEURON over NEURON, from wall time and from
  the busiest rank's CPU time (a machine shared with other jobs distorts wall time);
- whether the 2-rank and CoreNEURON runs gave the same spikes as NEURON on 1 rank.

Models: ``pnp`` (the drop-in ``SpnpSpine``, steady PNP neck law), ``pnp-lean`` (the same, keeping only the
point processes and not the per-spine Python ``Spine`` records), ``explicit`` (neck and
head Sections with the neck's Ra calibrated to the same R0, an Exp2Syn in the head),
``exp2syn`` (no spines: an Exp2Syn on the dendrite where each spine would be), and
``none`` (the cells alone, the memory baseline). All synapses get the same AMPA events
(NMDA weight 0, so the Exp2Syn baselines see the same input). Each measurement runs in a
fresh process so peaks do not mix::

    spinepnp bench                       # 10^3, 10^4, 10^5 spines (about 10 minutes)
    spinepnp bench --quick               # seconds, for tests
    python -m spinepnp.bench.scale       # the same (comparisons/bench_scale.py too)

Results go to ``--out`` (``bench_scale.csv``, ``bench_scale.json``) as they come.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from . import cpu_name

__all__ = ["add_arguments", "run_bench", "main", "MODELS", "ENGINES", "TARGETS",
           "bench_spec", "summarise"]

MODELS = ("pnp", "pnp-lean", "explicit", "exp2syn")
ENGINES = ("nrn1", "nrn2", "core1", "core2")
TARGETS = {"bytes_per_spine": 2048.0, "mpi_speedup": 1.7, "core_speedup": 1.5}


def default_tstop(n_spines: int) -> float:
    """Simulated time [ms] per size: ~10-60 s of NEURON wall time per run."""
    return float(min(200.0, max(20.0, 2.0e6 / max(n_spines, 1))))


# ---------------------------------------------------------------------------- worker

def _mem_kb() -> dict:
    """Current and peak resident set [kB] of this process."""
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:  # pragma: no cover - not Linux
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = peak // 1024 if sys.platform == "darwin" else peak
        out = {"VmRSS": peak, "VmHWM": peak}
    return {"rss_kb": out.get("VmRSS", 0), "peak_kb": out.get("VmHWM", 0)}


def bench_spec(cfg: dict):
    """The network of one measurement: ``(NetworkSpec, keep_spines)`` for
    :func:`spinepnp.build.build_network`.

    Every model has the same cells, connectivity, delays and drive (same seeds); only
    where the excitatory synapses land differs (NMDA weight 0, so the Exp2Syn baselines
    see the same input).
    """
    from ..build import NetworkSpec
    model = cfg["model"]
    if model not in MODELS + ("none",):
        raise ValueError(f"model {model!r}: use one of {', '.join(MODELS)} or none")
    n_cells = max(1, cfg["n_spines"] // cfg["spines_per_cell"])
    synapses = {"exp2syn": "dendrite", "none": "none"}.get(model, "spines")
    spec = NetworkSpec(n_cells=n_cells, n_spines=cfg["spines_per_cell"],
                       in_degree=min(6, n_cells - 1), w_nmda=0.0,
                       law="explicit" if model == "explicit" else "pnp",
                       head_synapse="exp2syn" if model == "explicit" else "spnp",
                       synapses=synapses, dend_length=cfg["dend_length"], seed=1)
    return spec, model != "pnp-lean"


def worker(cfg: dict) -> dict:
    """One measurement (run in a fresh process, possibly under mpiexec)."""
    core = cfg["engine"].startswith("core")
    from .. import parallel
    from ..loader import load_mechanisms
    load_mechanisms(coreneuron=core)
    pc = parallel.init()
    from neuron import coreneuron, h

    from ..build import build_network
    h.load_file("stdrun.hoc")
    h.celsius = 6.3
    spec, keep_spines = bench_spec(cfg)
    n_cells = spec.n_cells
    mem0 = _mem_kb()
    t0 = time.perf_counter()
    net = build_network(spec, pc, keep_spines=keep_spines)
    pc.barrier()
    build_s = time.perf_counter() - t0
    mem1 = _mem_kb()
    h.cvode_active(0)
    h.dt = 0.025
    if core:
        h.cvode.cache_efficient(1)
        coreneuron.enable = True
        coreneuron.verbose = 0
    pc.set_maxstep(10)
    h.finitialize(-65.0)
    # one step first: under CoreNEURON every psolve copies the model in and out, so this
    # measures that copy ("transfer"); the trajectory is the same as one psolve's
    pc.barrier()
    t0 = time.perf_counter()
    pc.psolve(h.dt)
    pc.barrier()
    transfer_s = time.perf_counter() - t0
    load0 = os.getloadavg()[0]
    t1, c1 = time.perf_counter(), time.process_time()
    pc.psolve(cfg["tstop"])
    cpu_s = time.process_time() - c1
    pc.barrier()
    run_s = time.perf_counter() - t1
    coreneuron.enable = False
    mem2 = _mem_kb()
    spikes = net.local_spikes()
    mine = {"peak_kb": mem2["peak_kb"], "rss0_kb": mem0["rss_kb"],
            "built_kb": mem1["rss_kb"], "spikes": spikes, "cpu_s": cpu_s,
            # NEURON's own split of the run: integration vs waiting for spike exchange
            "step_s": float(pc.step_time()), "wait_s": float(pc.wait_time())}
    everyone = pc.py_gather(mine, 0)
    out = None
    if int(pc.id()) == 0:
        allspk = sorted(s for r in everyone for s in r["spikes"])
        digest = hashlib.sha256(repr([(g, float(t).hex()) for g, t in allspk]).encode())
        out = dict(cfg, n_cells=n_cells, nhost=int(pc.nhost()), build_s=build_s,
                   run_s=run_s, wall_per_sim_s=run_s / (cfg["tstop"] / 1000.0),
                   transfer_s=transfer_s,
                   step_s=[r["step_s"] for r in everyone],
                   wait_s=[r["wait_s"] for r in everyone],
                   cpu_s=[r["cpu_s"] for r in everyone],
                   cpu_per_sim_s=max(r["cpu_s"] for r in everyone) / (cfg["tstop"] / 1000),
                   loadavg=[load0, os.getloadavg()[0]],
                   peak_mb=sum(r["peak_kb"] for r in everyone) / 1024.0,
                   rss0_mb=sum(r["rss0_kb"] for r in everyone) / 1024.0,
                   built_mb=sum(r["built_kb"] for r in everyone) / 1024.0,
                   n_spikes=len(allspk), spikes_sha=digest.hexdigest()[:16])
        print("BENCH-RESULT " + json.dumps(out), flush=True)
    parallel.finish(pc)
    return out


# ---------------------------------------------------------------------------- driver

def run_config(cfg: dict, timeout: float) -> dict:
    """Run one configuration in a fresh process (``mpiexec`` for 2 ranks)."""
    from .. import parallel
    args = ["-m", "spinepnp.bench.scale", "--worker", json.dumps(cfg)]
    n = 2 if cfg["engine"].endswith("2") else 1
    t0 = time.perf_counter()
    if n > 1:
        proc = parallel.run_mpi(args, n, timeout=timeout)
    else:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"]
                                    if env.get("PYTHONPATH") else "")
        proc = subprocess.run([sys.executable] + args, env=env, text=True,
                              capture_output=True, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            res = json.loads(line[len("BENCH-RESULT "):])
            res["process_s"] = time.perf_counter() - t0
            return res
    raise RuntimeError(f"benchmark run {cfg} failed (exit {proc.returncode}):\n"
                       f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")


def summarise(results: list, sizes, models, engines) -> list:
    """One row per (size, model): the numbers the issue asks for."""
    by = {(r["n_spines"], r["model"], r["engine"]): r for r in results}
    rows = []
    for n in sizes:
        base = by.get((n, "none", "nrn1"))
        for m in models:
            r1 = by.get((n, m, "nrn1"))
            row = {"n_spines": n, "model": m}
            for e in engines:
                r = by.get((n, m, e))
                row[f"{e}_s_per_s"] = r["wall_per_sim_s"] if r else None
                row[f"{e}_peak_mb"] = r["peak_mb"] if r else None
                if r and r1 and e != "nrn1":
                    row[f"{e}_same_spikes"] = r["spikes_sha"] == r1["spikes_sha"]
            if r1:
                row["build_s"] = r1["build_s"]
                row["n_spikes"] = r1["n_spikes"]
                if base:
                    row["bytes_per_spine"] = ((r1["peak_mb"] - base["peak_mb"])
                                              * 1048576.0 / n)
            for e, key in (("nrn2", "mpi_speedup"), ("core1", "core_speedup"),
                           ("core2", "core2_speedup")):
                r = by.get((n, m, e))
                if r and r1:
                    row[key] = r1["wall_per_sim_s"] / r["wall_per_sim_s"]
                    # the same from CPU time (the busiest rank): what dedicated cores
                    # would give when other jobs share the machine
                    row[key + "_cpu"] = r1["cpu_per_sim_s"] / r["cpu_per_sim_s"]
            rc = by.get((n, m, "core1"))
            if rc:
                row["core1_transfer_s"] = rc["transfer_s"]
                if r1:
                    compute = max(rc["run_s"] - rc["transfer_s"], 1e-9)
                    row["core_speedup_no_transfer"] = r1["run_s"] / compute
            if r1:
                row["loadavg"] = max(r["loadavg"][1] for r in results
                                     if r["n_spines"] == n and r["model"] == m)
            rows.append(row)
    return rows


def _f(x, fmt):
    return "-" if x is None else format(x, fmt)


def print_table(rows: list, engines, file=sys.stdout):
    names = {"nrn1": "NEURON 1", "nrn2": "NEURON 2", "core1": "CoreN 1", "core2": "CoreN 2"}
    head = (f"{'spines':>7} {'model':>8} " + " ".join(f"{names[e] + ' s/s':>12}"
                                                      for e in engines)
            + f" {'peak MB':>8} {'B/spine':>8} {'2 ranks':>8} {'(cpu)':>6} {'CoreN':>6} "
              f"{'(cpu)':>6} {'xfer s':>6} {'build s':>7} {'spikes':>6} same load")
    print(head, file=file)
    for r in rows:
        same = "".join("y" if r.get(f"{e}_same_spikes") else
                       ("n" if r.get(f"{e}_same_spikes") is False else "-")
                       for e in engines if e != "nrn1")
        print(f"{r['n_spines']:>7} {r['model']:>8} "
              + " ".join(f"{_f(r.get(f'{e}_s_per_s'), '.2f'):>12}" for e in engines)
              + f" {_f(r.get('nrn1_peak_mb'), '.0f'):>8}"
              f" {_f(r.get('bytes_per_spine'), '.0f'):>8}"
              f" {_f(r.get('mpi_speedup'), '.2f'):>8}"
              f" {_f(r.get('mpi_speedup_cpu'), '.2f'):>6}"
              f" {_f(r.get('core_speedup'), '.2f'):>6}"
              f" {_f(r.get('core_speedup_cpu'), '.2f'):>6}"
              f" {_f(r.get('core1_transfer_s'), '.2f'):>6}"
              f" {_f(r.get('build_s'), '.1f'):>7} {_f(r.get('n_spikes'), 'd'):>6} {same:>4}"
              f" {_f(r.get('loadavg'), '.1f'):>4}",
              file=file)


def check_targets(rows: list) -> list:
    """Lines saying which targets the largest size met (for the pnp model)."""
    pnp = [r for r in rows if r["model"] == "pnp"]
    if not pnp:
        return []
    big = max(pnp, key=lambda r: r["n_spines"])
    out = []
    for key, target, better in (("bytes_per_spine", TARGETS["bytes_per_spine"], "<="),
                                ("mpi_speedup", TARGETS["mpi_speedup"], ">="),
                                ("mpi_speedup_cpu", TARGETS["mpi_speedup"], ">="),
                                ("core_speedup", TARGETS["core_speedup"], ">="),
                                ("core_speedup_cpu", TARGETS["core_speedup"], ">="),
                                ("core_speedup_no_transfer", TARGETS["core_speedup"],
                                 ">=")):
        v = big.get(key)
        if v is None:
            continue
        ok = v <= target if better == "<=" else v >= target
        note = "" if big["n_spines"] >= 100000 else " (the targets are for 10^5 spines)"
        out.append(f"target {key} {better} {target:g} at {big['n_spines']} pnp spines: "
                   f"{v:.2f} -> {'met' if ok else 'MISSED'}{note}")
    return out


def add_arguments(p):
    """The benchmark's options (for ``spinepnp bench`` and this module's ``main``)."""
    p.add_argument("--sizes", default=None,
                   help="comma-separated total spine counts (default 1000,10000,100000; "
                   "with --quick 200,400)")
    p.add_argument("--models", default=",".join(MODELS),
                   help=f"comma-separated models of {', '.join(MODELS)}")
    p.add_argument("--engines", default="nrn1,nrn2,core1",
                   help=f"comma-separated engines of {', '.join(ENGINES)} (nrn = NEURON, "
                   "core = CoreNEURON; 2 = two MPI ranks)")
    p.add_argument("--spines-per-cell", type=int, default=100, help="spines per neuron")
    p.add_argument("--dend-length", type=float, default=200.0, help="dendrite length [um]")
    p.add_argument("--tstop", type=float, default=None,
                   help="simulated time [ms] (default per size: 2e6/n_spines, 20-200 ms)")
    p.add_argument("--repeat", type=int, default=1,
                   help="measure each configuration this many times (in rounds over all "
                   "configurations), keep the fastest")
    p.add_argument("--out", default="results/bench_scale", help="output folder")
    p.add_argument("--timeout", type=float, default=3600.0,
                   help="limit per measurement [s]")
    p.add_argument("--quick", action="store_true",
                   help="small: sizes 200 and 400 (4 and 8 cells of 50 spines), "
                   "tstop 20 ms")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench_scale.py",
                                description=__doc__.split("\n\n")[0].replace("``", ""),
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_arguments(p)
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return p


def main(argv=None) -> list:
    """Command-line entry (also the worker's); returns the summary rows."""
    args = build_parser().parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return []
    return run_bench(args)


def run_bench(args) -> list:
    """Run the benchmark described by parsed arguments; return the summary rows."""
    from .. import parallel
    from ..io import write_csv_atomic, write_text_atomic
    from ..loader import build
    if args.quick:
        args.sizes = args.sizes or "200,400"
        args.spines_per_cell = min(args.spines_per_cell, 50)
        args.tstop = args.tstop or 20.0
    args.sizes = args.sizes or "1000,10000,100000"
    sizes = [int(float(s)) for s in str(args.sizes).split(",") if s.strip()]
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [m for m in models if m not in MODELS] + [e for e in engines if e not in ENGINES]
    if bad:
        raise ValueError(f"unknown model(s)/engine(s) {', '.join(bad)}; models: "
                         f"{', '.join(MODELS)}; engines: {', '.join(ENGINES)}")
    if not sizes or min(sizes) < 2:
        raise ValueError(f"--sizes {args.sizes!r}: give spine counts >= 2")
    if any(e.endswith("2") for e in engines):
        ok, why = parallel.mpi_available()
        if not ok:
            print(f"spinepnp bench: 2-rank runs skipped: {why}", file=sys.stderr)
            engines = [e for e in engines if not e.endswith("2")]
    if "nrn1" not in engines:
        engines.insert(0, "nrn1")
    build(coreneuron=False)
    if any(e.startswith("core") for e in engines):
        build(coreneuron=True)     # compile once here, not in every worker
    out = Path(args.out)
    machine = {"date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "host": platform.node(), "machine": platform.machine(),
               "cpus": os.cpu_count(), "python": platform.python_version(),
               "cpu": cpu_name(), "mem_gb": _mem_total_gb()}
    print(f"spinepnp bench: {machine['cpu']}, {machine['cpus']} CPUs, "
          f"{machine['mem_gb']:.0f} GB, {machine['date_utc']}", file=sys.stderr, flush=True)
    plan = [(n, m, e) for n in sizes for m in ["none"] + models for e in engines
            if m != "none" or e == "nrn1"]
    repeat = max(1, int(args.repeat))
    tries: dict = {}
    results = []
    t_start = time.perf_counter()
    # repeats go in rounds over the whole plan, so a slow spell of a shared machine
    # hits every configuration alike; each configuration keeps its fastest run
    for rnd in range(repeat):
        for k, (n, m, e) in enumerate(plan, start=1):
            tstop = args.tstop or default_tstop(n)
            if m == "none":
                tstop = min(tstop, 5.0)       # memory baseline only
            cfg = {"n_spines": n, "model": m, "engine": e, "tstop": tstop,
                   "spines_per_cell": min(args.spines_per_cell, n),
                   "dend_length": args.dend_length}
            res = run_config(cfg, args.timeout)
            tries.setdefault((n, m, e), []).append(res)
            print(f"[{k + rnd * len(plan)}/{repeat * len(plan)}] {n} spines {m:>8} {e}: "
                  f"{res['wall_per_sim_s']:.2f} s per simulated s, build "
                  f"{res['build_s']:.1f} s, peak {res['peak_mb']:.0f} MB, "
                  f"{res['n_spikes']} spikes, load {res['loadavg'][1]:.1f} "
                  f"({time.perf_counter() - t_start:.0f} s so far)", file=sys.stderr,
                  flush=True)
            results = []
            for key in plan:
                if key not in tries:
                    continue
                runs = tries[key]
                best = dict(min(runs, key=lambda r: r["run_s"]))
                best["cpu_per_sim_s"] = min(r["cpu_per_sim_s"] for r in runs)
                best["peak_mb"] = min(r["peak_mb"] for r in runs)
                best["repeats_run_s"] = [r["run_s"] for r in runs]
                results.append(best)
            rows = summarise(results, sizes, models, engines)
            write_text_atomic(out / "bench_scale.json", json.dumps(
                {"machine": machine, "results": results, "summary": rows,
                 "all_runs": [r for v in tries.values() for r in v]}, indent=1))
            keys = sorted({k for r in rows for k in r},
                          key=lambda s: (s not in ("n_spines", "model"), s))
            write_csv_atomic(out / "bench_scale.csv", keys,
                             ([r.get(k) for k in keys] for r in rows))
    rows = summarise(results, sizes, models, engines)
    print(f"# {machine['cpu']}, {machine['cpus']} CPUs, {machine['mem_gb']:.0f} GB, "
          f"{machine['date_utc']}. s/s = wall seconds per simulated second; speed-ups "
          "from wall time and (cpu) from the busiest rank's CPU time; CoreNEURON's s/s "
          "include one model transfer (column 'xfer s'); load = 1-min load average (more "
          "than the ranks in use means other jobs shared the CPUs)")
    print_table(rows, engines)
    for line in check_targets(rows):
        print(line)
    print(f"results in {out / 'bench_scale.csv'} and {out / 'bench_scale.json'}")
    return rows


def _mem_total_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1048576.0
    except OSError:  # pragma: no cover
        pass
    return float("nan")


if __name__ == "__main__":
    main()
