"""Benchmark of the PNP solver, with baselines run in the same invocation.

1. I-V sweep: 41 currents from -0.9 I_s to +5 I_s on a 2001-node mesh (budget 1 s);
   baseline: the same sweep with a general sparse LU (SuperLU) instead of the banded
   LU, and the same currents each solved cold (no continuation).
2. One steady solve against ``scipy.integrate.solve_bvp`` on the same problem (full
   PNP, binary salt, cylinder, 0.1 nA, zero field at the head, written as the
   first-order system u' = p/S, p' = -S sum z c / l2, c' = -z c p/S + q/(D S)) at
   equal accuracy: for target errors of the head (wall) potential, the cheapest mesh
   of ours and the cheapest solve_bvp tolerance that reach the target, both against a
   16001-node reference. solve_bvp is run as a user would set it up (uniform mesh,
   constant guess) and as an expert would (our graded mesh, the law as the guess,
   analytic Jacobian). Budget: >= 10x faster than the user setup at 1e-5 (the expert
   setup is printed as context, without a budget verdict). Both sides are timed by the
   same rule (best CPU time of >= 7 calls and of 0.3 s of calls, each call including
   all set-up).
3. Transient: 10 ms of a 50 pA step into a whole spine (ball_and_neck, Na/K/anion)
   (budget 10 s); baseline: the same run with the sparse LU.

Usage: ``python -m spinepnp.bench.pnp [--quick] [--repeat N]`` (or
``python comparisons/bench_pnp.py``). Timings on a
shared machine are pessimistic and noisy: the header prints the load average; compare
runs made on a quiet machine. No work at import.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np

from .. import laws
from . import cpu_name
from ..pnp import (Species, build_problem, solve_steady, solve_transient,
                   step, sweep_steady)

BINARY = [Species("na", 1, 1.33, 167.0), Species("a", -1, 2.03, 167.0)]


def _cpu(fn, repeat=1, min_time=0.0):
    """Best process CPU time [s] of at least ``repeat`` calls, continued until the calls
    have used ``min_time`` [s] of CPU time in all (as ``timeit``'s autorange: on a
    shared machine the best of more calls is nearer the undisturbed cost)."""
    best, out, total, k = np.inf, None, 0.0, 0
    while k < repeat or total < min_time:
        t0 = time.process_time()
        out = fn()
        dt = time.process_time() - t0
        best, total, k = min(best, dt), total + dt, k + 1
    return best, out


def _timed(fn, repeat=1):
    """Best wall-clock time [s] of ``repeat`` calls; the CPU time of that call is kept
    in ``_timed.cpu`` (the machine may be shared: CPU time is the steadier number)."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, _timed.cpu = wall, time.process_time() - c0
    return best, out


def bench_sweep(n, n_cur, repeat):
    neck = laws.Cylinder(1.0, 0.05)
    i_s = laws.saturation_current(neck)
    cur = np.linspace(-0.9 * i_s, 5.0 * i_s, n_cur)
    t_band, iv = _timed(lambda: sweep_steady(neck, cur, BINARY, n=n), repeat)
    c_band = _timed.cpu
    law = laws.delta_v(cur, neck)
    nz = cur != 0
    err = float(np.max(np.abs(iv.v_bulk[nz] / law[nz] - 1)))

    def sparse():
        P = build_problem(neck, BINARY, n=n)
        P.linear_solver = "sparse"
        return sweep_steady(neck, cur, problem=P)
    t_sparse, _ = _timed(sparse, repeat)
    c_sparse = _timed.cpu

    def cold():
        P = build_problem(neck, BINARY, n=n)
        return [solve_steady(neck, float(i), problem=P) for i in cur]
    t_cold, _ = _timed(cold, repeat)
    c_cold = _timed.cpu
    # ratios of CPU times (best of the same number of runs): steadier than wall-clock
    # time on a shared machine
    print(f"I-V sweep: {n_cur} currents, -0.9..5 I_s (I_s = {i_s * 1e3:.1f} pA), "
          f"{n} nodes: {t_band:.3f} s wall, {c_band:.3f} s CPU (budget 1 s: "
          f"{t_band / 1.0:.2f} of it); "
          f"Newton iterations {int(iv.iterations.sum())}; max |V/law - 1| = {err:.2e}")
    print(f"  vs sparse LU: {t_sparse:.3f} s wall, {c_sparse:.3f} s CPU  -> banded is "
          f"{c_sparse / c_band:.1f}x faster (CPU)")
    print(f"  vs cold starts (law guess, no continuation): {t_cold:.3f} s wall, "
          f"{c_cold:.3f} s CPU  -> CPU time cold / continuation = {c_cold / c_band:.2f}")
    return t_band


def _bvp_problem(neck, current, P):
    """Full PNP steady state as a first-order BVP for solve_bvp (scaled units as the
    solver: x [um], u = V/VT, p = S du/dx [um], c scaled by c_ref)."""
    z = P.z
    D = P.D
    S = float(neck.area(0.0))
    q = np.zeros(P.ns)
    q[P.icarrier] = current * P.q_scale / z[P.icarrier]     # inflow at the head
    l2 = P.l2
    ns = P.ns

    def fun(x, y):
        p, c = y[1], y[2:]
        du = p / S
        dp = -S * (z @ c) / l2
        dc = -z[:, None] * c * du[None, :] + (q / (D * S))[:, None]
        return np.vstack([du, dp, dc])

    def jac(x, y):
        m = x.size
        J = np.zeros((2 + ns, 2 + ns, m))
        p, c = y[1], y[2:]
        J[0, 1] = 1.0 / S
        J[1, 2:] = (-S * z / l2)[:, None]
        for s in range(ns):
            J[2 + s, 1] = -z[s] * c[s] / S
            J[2 + s, 2 + s] = -z[s] * p / S
        return J

    def bc(ya, yb):
        return np.concatenate([[ya[0]], ya[2:] - P.bulk, [yb[1]]])

    return fun, jac, bc


def _bvp_setup(neck, cur, style, P_bvp):
    """Initial mesh, guess and Jacobian option for solve_bvp.

    ``user``: what a user would reach for: a uniform 101-node mesh, a constant guess
    (bulk concentrations, V = 0), finite-difference Jacobian. ``expert``: our graded
    201-node mesh, the electroneutral law as the guess, and the analytic Jacobian.
    """
    S = float(neck.area(0.0))
    if style == "user":
        x0 = np.linspace(0.0, neck.length, 101)
        y0 = np.zeros((2 + P_bvp.ns, x0.size))
        y0[2:] = P_bvp.bulk[:, None]
        return x0, y0, False
    P = build_problem(neck, BINARY, n=201)
    x0 = P.x
    y_law = P.law_state(cur).reshape(P.n, P.nv)
    y0 = np.vstack([y_law[:, 0], S * np.gradient(y_law[:, 0], x0), y_law[:, 1:].T])
    y0[1, -1] = 0.0
    return x0, y0, True


BVP_BUDGET = 10.0        # ours must be >= 10x faster than solve_bvp (user setup) ...
BVP_BUDGET_TARGET = 1e-5  # ... at this accuracy


def bench_bvp(targets, n_ref, n_list, tols, cur=0.1, repeat=7, min_time=0.0):
    """Equal accuracy: for each target relative error of the head (wall) potential,
    the cheapest setting of each method that reaches it. Every setting of both methods
    is timed by the same rule: best CPU time of at least ``repeat`` calls, and of as
    many as fit in ``min_time`` [s]."""
    from scipy.integrate import solve_bvp
    neck = laws.Cylinder(1.0, 0.05)
    ref = solve_steady(neck, cur, BINARY, n=n_ref).head_potential
    P = build_problem(neck, BINARY, n=201)
    fun, jac, bc = _bvp_problem(neck, cur, P)
    ours = []
    for n in n_list:
        t, s = _cpu(lambda: solve_steady(neck, cur, BINARY, n=n), repeat, min_time)
        ours.append((n, t, abs(s.head_potential / ref - 1)))
    bvp = {}
    for style in ("user", "expert"):
        x0, y0, use_jac = _bvp_setup(neck, cur, style, P)
        rows = []
        for tol in tols:
            t, sol = _cpu(lambda: solve_bvp(fun, bc, x0, y0, fun_jac=jac if use_jac
                                            else None, tol=tol, max_nodes=1_000_000),
                          repeat, min_time)
            err = abs(float(sol.sol(neck.length)[0]) * P.vt / ref - 1) if sol.success \
                else np.inf
            rows.append((tol, t, err, sol.x.size))
        bvp[style] = rows
    print(f"steady solve vs scipy.integrate.solve_bvp (cylinder, Na/anion 167 mM, "
          f"{cur} nA; error = |V_head / reference - 1|, reference {n_ref} nodes; CPU "
          f"time, best of >= {repeat} calls and {min_time:g} s per setting, the same "
          "rule for both)")
    for n, t, e in ours:
        print(f"  ours n={n:5d}: {t * 1e3:7.2f} ms  error {e:.1e}")
    for style, rows in bvp.items():
        for tol, t, e, m in rows:
            print(f"  solve_bvp {style:6s} tol={tol:.0e}: {t * 1e3:7.2f} ms  error "
                  f"{e:.1e}  ({m} nodes)")
    ratios = {}
    for target in targets:
        o = [r for r in ours if r[2] <= target]
        if not o:
            print(f"  target {target:.0e}: ours does not reach it in {n_list}")
            continue
        n, t_o, _ = min(o, key=lambda r: r[1])
        for style, rows in bvp.items():
            b = [r for r in rows if r[2] <= target]
            if not b:
                print(f"  target {target:.0e}: solve_bvp ({style}) does not reach it")
                continue
            tol, t_b, _, m = min(b, key=lambda r: r[1])
            ratio = t_b / t_o
            ratios[(target, style)] = ratio
            if style != "user":
                note = "context: no budget against the expert setup"
            elif target == BVP_BUDGET_TARGET:
                note = (f"{'meets' if ratio >= BVP_BUDGET else 'DOES NOT meet'} the "
                        f"{BVP_BUDGET:g}x budget")
            else:
                note = (f"{'above' if ratio >= BVP_BUDGET else 'below'} {BVP_BUDGET:g}x; "
                        f"the budget is set at {BVP_BUDGET_TARGET:.0e}")
            print(f"  target {target:.0e}: ours (n={n}) {t_o * 1e3:.2f} ms vs solve_bvp "
                  f"({style}, tol {tol:.0e}) {t_b * 1e3:.2f} ms -> {ratio:.1f}x ({note})")
    return ratios


def bench_transient(n, t_stop):
    spine = laws.ball_and_neck()
    t_band, tr = _timed(lambda: solve_transient(spine, step(0.05), t_stop, n=n,
                                                t_eval=np.linspace(0, t_stop, 101)), 1)
    cpu = _timed.cpu

    def sparse():
        P = build_problem(spine, n=n)
        P.linear_solver = "sparse"
        return solve_transient(spine, step(0.05), t_stop, problem=P,
                               t_eval=np.linspace(0, t_stop, 101))
    t_sparse, _ = _timed(sparse, 1)
    c_sparse = _timed.cpu
    print(f"transient: {t_stop:g} ms of a 50 pA step into ball_and_neck (Na/K/anion), "
          f"{n} nodes: {t_band:.2f} s wall, {cpu:.2f} s CPU (budget 10 s: "
          f"{t_band / 10.0:.2f} of it); "
          f"{tr.n_steps} steps ({tr.n_rejected} rejected), dt {tr.dt_min:.1e}.."
          f"{tr.dt_max:.1e} ms; head V(t_stop) = {tr.head_potential[-1]:.4f} mV")
    print(f"  vs sparse LU: {t_sparse:.2f} s wall, {c_sparse:.2f} s CPU  -> banded is "
          f"{c_sparse / cpu:.1f}x faster (CPU)")
    return t_band


def _print_machine():
    """Date, machine and software versions; the load average shows whether the machine
    was quiet (timings on a shared machine are pessimistic)."""
    import scipy
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load average n/a"
    print(f"# bench_pnp {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M:%S} "
          f"UTC on {platform.node()}: {cpu_name()} ({platform.machine()}, "
          f"{os.cpu_count()} CPUs), {platform.system()} {platform.release()}; {load}")
    print(f"# Python {platform.python_version()}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="small meshes and short runs (for the test suite)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="least number of calls per timed setting in the solve_bvp "
                         "comparison (best CPU time kept; the same rule for both "
                         "methods, which also get 0.3 s each outside --quick); "
                         "default 7, 2 with --quick")
    args = ap.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        ap.error("--repeat must be >= 1")
    _print_machine()
    if args.quick:
        print("# --quick: small meshes and few repeats, a smoke test of the script; its "
              "timings and verdicts are not the benchmark")
        bench_sweep(n=301, n_cur=9, repeat=1)
        bench_bvp(targets=(1e-5,), n_ref=1601, n_list=(201, 401), tols=(1e-2, 1e-3),
                  repeat=args.repeat or 2)
        bench_transient(n=201, t_stop=0.5)
    else:
        bench_sweep(n=2001, n_cur=41, repeat=3)
        bench_bvp(targets=(1e-5, 1e-6, 1e-7), n_ref=16001,
                  n_list=(101, 201, 401, 801, 1601, 3201),
                  tols=(1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6), repeat=args.repeat or 7,
                  min_time=0.3)
        bench_transient(n=2001, t_stop=10.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
