"""Benchmark of the axisymmetric 2-D PNP solver, with the quasi-1D solver as the
baseline run in the same invocation (ratios printed).

1. One steady solve of the Fig 3 spine (BallAndNeck 1 um x 50 nm neck, 250 nm head,
   10 nm cap; 167 mM binary salt; 50 pA) on the default mesh, which resolves the cap's
   Debye layer (elements of half a Debye length there). Budget: 60 s. Baseline: the
   quasi-1D solver on the same profile (2001 nodes).
2. An 11-current I-V (-50 ... +100 pA) by continuation on the same mesh. Budget: 5 min.
3. 10 ms of the Fig 3 step (50 pA from t = 0) by BDF2; no budget (the issue asks what
   it takes and what limits it): printed with the number of steps, Newton solves and
   the share of time in the sparse LU.

Usage: ``python -m spinepnp.bench.pnp2d [--quick] [--resolution R]`` (or
``python comparisons/bench_pnp2d.py`` from a checkout). CPU times of
one call each (process time, so other jobs on a shared machine inflate them less than
wall time); the header prints the load average. No work at import.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np

from .. import pnp, pnp2d
from ..pnp import Species, step
from . import cpu_name

BINARY = [Species("na", 1, 1.33, 167.0), Species("a", -1, 2.03, 167.0)]
SPINE = dict(neck_length=1.0, neck_radius=0.05, head_radius=0.25, cap_radius=0.01)
AMP = 0.05     # nA


def _cpu(fn):
    t0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - t0, time.perf_counter() - w0, out


class _CountLU:
    """Counts and times the sparse solves of the 2-D Newton (patched in for item 3)."""

    def __init__(self):
        import scipy.sparse.linalg as spla
        self.spla, self.orig, self.n, self.t = spla, spla.spsolve, 0, 0.0

    def __enter__(self):
        from spinepnp.pnp2d import system

        def counted(*a, **k):
            t0 = time.process_time()
            try:
                return self.orig(*a, **k)
            finally:
                self.n += 1
                self.t += time.process_time() - t0
        self._mod = system
        system.spla.spsolve = counted
        return self

    def __exit__(self, *exc):
        self._mod.spla.spsolve = self.orig


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="coarse mesh (resolution 0.5), 5 currents, 2 ms transient")
    ap.add_argument("--resolution", type=float, default=None,
                    help="mesh resolution factor (default 1, quick 0.5)")
    args = ap.parse_args(argv)
    res = args.resolution or (0.5 if args.quick else 1.0)
    currents = np.linspace(-0.05, 0.1, 5 if args.quick else 11)
    t_stop = 2.0 if args.quick else 10.0
    print(f"# bench_pnp2d {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} "
          f"UTC on {platform.node()} ({cpu_name()}, {os.cpu_count()} cores, load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}), resolution {res:g}")
    geom = pnp2d.BallAndNeck(**SPINE)
    prof = geom.quasi_1d()

    # 1. one steady solve (including meshing and set-up)
    c2, w2, s2 = _cpu(lambda: pnp2d.solve_steady(geom, AMP, BINARY, resolution=res))
    c1, w1, s1 = _cpu(lambda: pnp.solve_steady(prof, AMP, BINARY, "na"))
    P = s2.problem
    print(f"1. steady 50 pA: 2-D {c2:.2f} s CPU ({w2:.2f} s wall; {P.n} nodes, "
          f"{P.size} unknowns, {s2.iterations} Newton iterations in the last solve, "
          f"smallest element at the cap {P.debye * 0.5 / res * 1e3:.2f} nm = "
          f"{0.5 / res:.2f} Debye lengths); quasi-1D {c1:.3f} s; ratio 2-D/quasi-1D "
          f"{c2 / c1:.0f}; budget 60 s: {'PASS' if w2 <= 60 else 'FAIL'}")
    print(f"   head centre 2-D {s2.head_centre_potential:.4f} mV, max "
          f"{s2.max_potential:.4f} mV")

    # 2. I-V by continuation
    c2, w2, iv2 = _cpu(lambda: pnp2d.sweep_steady(None, currents, problem=P))
    c1, w1, iv1 = _cpu(lambda: pnp.sweep_steady(prof, currents, BINARY, "na"))
    print(f"2. {currents.size}-current I-V: 2-D {c2:.2f} s CPU ({w2:.2f} s wall, "
          f"{int(iv2.iterations.sum())} Newton iterations); quasi-1D {c1:.3f} s; ratio "
          f"{c2 / c1:.0f}; budget 300 s: {'PASS' if w2 <= 300 else 'FAIL'}")

    # 3. transient of the Fig 3 step
    with _CountLU() as lu:
        c2, w2, tr2 = _cpu(lambda: pnp2d.solve_transient(None, step(AMP, 0.0), t_stop,
                                                         problem=P))
    c1, w1, tr1 = _cpu(lambda: pnp.solve_transient(prof, step(AMP, 0.0), t_stop, BINARY,
                                                   "na"))
    print(f"3. {t_stop:g} ms step transient: 2-D {c2:.1f} s CPU ({w2:.1f} s wall), "
          f"{tr2.steps} steps, {lu.n} Newton solves, sparse LU {100 * lu.t / c2:.0f} % "
          f"of the CPU time; quasi-1D {c1:.2f} s; ratio {c2 / c1:.0f}. "
          f"V(head centre) at the end 2-D {tr2.v_centre[-1]:.4f} mV")
    return 0


if __name__ == "__main__":
    sys.exit(main())
