"""Side-by-side comparisons: full PNP vs the NEURON PNP spine vs the Ohmic cable.

Each comparison writes PNG and CSV files with the same numbers into one output folder,
atomically (a file is complete or absent), and returns a :class:`Result`; ``run``
runs a selection (in parallel with ``jobs > 1``) and writes ``report.md``.
Importing this package does not import NEURON or matplotlib.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from ..progress import Progress
from .common import Result

__all__ = ["COMPARISONS", "run", "run_one", "Result"]

#: name -> (module, function): every comparison ``spinepnp compare`` knows.
COMPARISONS = {
    "fig1": ("spinepnp.compare.steady_iv", "run_fig1"),
    "fig2": ("spinepnp.compare.steady_iv", "run_fig2"),
    "fig3": ("spinepnp.compare.fig3", "run"),
    "nullclines": ("spinepnp.compare.nullclines", "run"),
    "neuron": ("spinepnp.compare.neuron_epsp", "run"),
    "network": ("spinepnp.compare.network", "run"),
    "validity": ("spinepnp.compare.validity", "run"),
    "cell": ("spinepnp.compare.cell", "run"),
    "pnp2d": ("spinepnp.compare.pnp2d", "run"),
    "ions": ("spinepnp.compare.ions", "run"),
}


def available() -> list:
    """Names of the comparisons whose module is present."""
    names = []
    for name, (mod, _) in COMPARISONS.items():
        try:
            importlib.util.find_spec(mod)
        except ModuleNotFoundError:
            continue
        if importlib.util.find_spec(mod) is not None:
            names.append(name)
    return names


def run_one(name: str, out, quick: bool = False, progress=None) -> Result:
    """Run one comparison into folder ``out``."""
    if name not in COMPARISONS:
        raise ValueError(f"unknown comparison {name!r}; choose from "
                         f"{', '.join(COMPARISONS)} or 'all'")
    modname, fn = COMPARISONS[name]
    try:
        mod = importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        raise ValueError(f"comparison {name!r} is not available in this version "
                         f"({exc})") from None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    from ..validity import ValidityLog, describe_invalid, SpineValidityWarning
    with ValidityLog() as log:
        res = getattr(mod, fn)(out, quick=quick, progress=progress)
    res.seconds = time.perf_counter() - t0
    if log.records:
        # drop-in spines that left the model's validity in some run: say so in the report
        res.numbers["spines outside the model's validity (all runs)"] = len(log.records)
        import warnings
        warnings.warn(f"comparison {name}: " + describe_invalid(log.records),
                      SpineValidityWarning, stacklevel=2)
    return res


def _worker(name, out, quick):
    os.environ.setdefault("MPLBACKEND", "Agg")
    return run_one(name, out, quick)


def run(names, out, quick: bool = False, jobs: int = 1, stream=None) -> list:
    """Run comparisons ``names`` into ``out``, show progress, write ``report.md``.

    Parameters
    ----------
    names : list of str
        Comparison names (see :data:`COMPARISONS`).
    out : path
        Output folder (created).
    quick : bool
        Small meshes and short runs (the whole set in under 2 minutes).
    jobs : int
        Worker processes (each loads NEURON on its own).
    """
    from .report import write_report
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bar = Progress(len(names), "spinepnp compare", stream=stream)
    bar.update(0)
    results = {}
    if jobs > 1 and len(names) > 1:
        import multiprocessing as mp
        ctx = mp.get_context("spawn")     # a fresh NEURON in every worker
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as ex:
            futs = {ex.submit(_worker, n, str(out), quick): n for n in names}
            for f in as_completed(futs):
                n = futs[f]
                results[n] = f.result()
                bar.update(note=f"{n} done ({results[n].seconds:.1f} s)")
    else:
        for n in names:
            results[n] = run_one(n, out, quick,
                                 progress=Progress(1, f"  {n}", stream=stream))
            bar.update(note=f"{n} done ({results[n].seconds:.1f} s)")
    ordered = [results[n] for n in names]
    write_report(out, ordered, quick=quick)
    return ordered
