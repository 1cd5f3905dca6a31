"""Transient PNP: variable-step BDF2 (stiffly stable, for the DAE with Poisson's
algebraic constraint), local error control, steps from nanoseconds to milliseconds.

The semi-discrete system is ``M dy/dt = f(y, t)`` with ``M`` the cell volumes on the
concentration rows and zero on the Poisson and Dirichlet rows. A step of size ``h`` with
previous step ``h_prev`` (ratio ``w = h/h_prev``) solves, by Newton,
``f(y) = M (a0 y + a1 y_n + a2 y_{n-1})`` with ``a0 = (1+2w)/((1+w)h)``,
``a1 = -(1+w)/h``, ``a2 = w^2/((1+w)h)`` (backward Euler for the first steps and after a
breakpoint of the waveform). The local error is estimated from the difference between
the corrector and the quadratic extrapolation of the three previous states (Milne's
device, with the variable-step constants), and the step grows or shrinks by
``0.9 err^(-1/3)``, growing at most twofold per step (variable-step BDF2 is zero-stable
for step ratios below 1 + sqrt(2)); steps land exactly on ``t_eval`` and breakpoints. Gating states of HH rings are advanced by the same BDF formula,
implicitly (they enter the Newton system through the ring's band potential).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ConvergenceError, DepletionError, check_positive
from .result import SteadySolution, TransientSolution
from .steady import _check_saturation, _continue, _rest_state, build_problem

__all__ = ["solve_transient"]


def _times(t_stop, t_eval):
    try:
        t_stop = float(t_stop)
    except (TypeError, ValueError):
        raise ValueError(f"t_stop = {t_stop!r} is not a number [ms]") from None
    if not (math.isfinite(t_stop) and t_stop > 0):
        raise ValueError(f"t_stop = {t_stop!r} ms must be finite and > 0")
    if t_eval is None:
        return t_stop, None
    te = np.asarray(t_eval, dtype=float).ravel()
    if te.size == 0 or not np.all(np.isfinite(te)) or np.any(np.diff(te) <= 0):
        raise ValueError("t_eval must be a non-empty, strictly increasing sequence of "
                         "finite times [ms]")
    if te[0] < 0 or te[-1] > t_stop * (1 + 1e-12):
        raise ValueError(f"t_eval must lie in [0, t_stop = {t_stop}] ms")
    return t_stop, te


def solve_transient(neck, current, t_stop, species=None, carrier="na", celsius=20.0,
                    t_eval=None, *, rings=(), v_rest=-70.0, n=2001, mesh=None,
                    head_bc="insulating", initial="rest", rtol=1e-4, atol_v=1e-3,
                    atol_c=1e-3, dt_initial=1e-6, dt_max=None, max_steps=200000,
                    progress=None, problem=None) -> TransientSolution:
    """Time course of the full PNP system for an injected current waveform.

    Parameters
    ----------
    neck : geometry
        Domain (``spinepnp.laws`` geometries or ``ball_and_neck``), x [um].
    current : callable or float
        Injected current [nA] as a function of time [ms] (see
        :mod:`spinepnp.pnp.stimuli`: ``constant``, ``step``, ``alpha``), or a number.
    t_stop : float
        End time [ms].
    species, carrier, celsius, rings, v_rest, n, mesh, head_bc
        As in :func:`spinepnp.pnp.solve_steady`.
    t_eval : array_like or None
        Times [ms] at which to return the state (the stepper lands on each); None
        returns every accepted step.
    initial : {"rest", "steady"} or SteadySolution
        Initial state: the zero-current steady state (default), the steady state at
        ``current(0)``, or a given solution on the same mesh.
    rtol : float
        Relative local error tolerance [1].
    atol_v : float
        Absolute tolerance on the potential [mV].
    atol_c : float
        Absolute tolerance on the concentrations [mM].
    dt_initial : float
        First step [ms] (also after each breakpoint of the waveform).
    dt_max : float or None
        Largest step [ms] (default ``t_stop / 20``).
    max_steps : int
        Give up after this many steps (accepted + rejected).
    progress : callable or None
        Called as ``progress(t, t_stop)`` after each accepted step.
    problem : Problem or None
        A prebuilt problem (:func:`spinepnp.pnp.build_problem`).

    Returns
    -------
    TransientSolution

    Raises
    ------
    DepletionError
        A species ran out (e.g. the carrier drained from the head by a current drawn out
        of it): beyond that time no solution exists.
    ConvergenceError
        The step size fell below 1e-12 ms without a converged Newton step.
    """
    t_stop, t_eval = _times(t_stop, t_eval)
    rtol = check_positive("rtol", rtol)
    atol_v = check_positive("atol_v", atol_v, " [mV]")
    atol_c = check_positive("atol_c", atol_c, " [mM]")
    dt_initial = check_positive("dt_initial", dt_initial, " [ms]")
    dt_max = t_stop / 20.0 if dt_max is None else check_positive("dt_max", dt_max, " [ms]")
    max_steps = check_positive("max_steps", max_steps, integer=True)
    if callable(current):
        wave = current
    else:
        try:
            amp = float(current)
        except (TypeError, ValueError):
            raise ValueError(f"current = {current!r} must be a callable of t [ms] "
                             "returning nA, or a number [nA]") from None
        wave = lambda t: amp  # noqa: E731
    P = problem if problem is not None else build_problem(
        neck, species, carrier, celsius, rings, v_rest, n, mesh, head_bc)
    nv = P.nv

    def i_at(t):
        i = float(wave(t))
        if not math.isfinite(i):
            raise ValueError(f"the current waveform returned {i!r} at t = {t} ms")
        return i

    kw = dict(max_iter=30, rtol=1e-9)
    if isinstance(initial, SteadySolution):
        y = initial.state
        if y is None or y.size != P.N:
            raise ValueError("initial must be a SteadySolution on the same mesh")
        y = y.copy()
    elif initial in ("rest", "steady"):
        y = _rest_state(P, kw)
        if initial == "steady" and i_at(0.0) != 0.0:
            _check_saturation(P, i_at(0.0))
            y = _continue(P, y, 0.0, i_at(0.0), kw)[0]
    else:
        raise ValueError(f"initial = {initial!r}: use 'rest', 'steady' or a "
                         "SteadySolution")
    breaks = sorted(b for b in getattr(wave, "breakpoints", ()) if 0 < b < t_stop)
    stops = sorted(set(breaks) | (set(t_eval.tolist()) if t_eval is not None else set())
                   | {t_stop})
    # weights of the error norm (scaled unknowns)
    atol = np.full(P.N, atol_c / P.c_ref)
    atol[0::nv] = atol_v / P.vt
    # ring gating states
    vms = P.ring_vm(y)
    states = [r.steady_states(vm) for r, vm in zip(P.rings, vms)]

    rec_t, rec_y, rec_i, rec_vm, rec_ir = [], [], [], [], []

    def record(t, y, states):
        rec_t.append(t)
        rec_y.append(y.copy())
        rec_i.append(i_at(t))
        vm = P.ring_vm(y)
        rec_vm.append(vm)
        rec_ir.append([r.current(v, s) for r, v, s in zip(P.rings, vm, states)])

    if t_eval is None or t_eval[0] == 0.0:
        record(0.0, y, states)

    t = 0.0
    hist = [(0.0, y)]          # (t, y) of previous accepted steps, newest last
    shist = [states]
    dt = float(dt_initial)
    restart = 2                # backward-Euler steps still to take (startup)
    n_steps = n_rej = n_newton = 0
    last_exc = None
    dts = []
    stop_i = 0
    while t < t_stop * (1 - 1e-14):
        if n_steps + n_rej >= max_steps:
            raise ConvergenceError(f"max_steps = {max_steps} reached at t = {t:g} ms "
                                   f"(last step {dt:.3g} ms)")
        while stops[stop_i] <= t * (1 + 1e-14) + 1e-300:
            stop_i += 1
        target = stops[stop_i]
        bdf1 = restart > 0 or len(hist) < 2
        h = min(dt, dt_max)
        if not bdf1:
            # variable-step BDF2 is zero-stable for step ratios below 1 + sqrt(2)
            h = min(h, 2.0 * (hist[-1][0] - hist[-2][0]))
        remaining = target - t
        if remaining <= h * (1 + 1e-9):
            h = remaining                   # land on the stop
        elif remaining < 2.0 * h:
            h = 0.5 * remaining             # two equal steps rather than a sliver
        t_new = target if h == remaining else t + h
        y_n = hist[-1][1]
        if bdf1:
            a0, a1, a2 = 1.0 / h, -1.0 / h, 0.0
            hb = None                                  # dy/dt = a0 (y - y_n)
            s_hist = [a1 * s for s in shist[-1]]
        else:
            h_prev = hist[-1][0] - hist[-2][0]
            w = h / h_prev
            a0 = (1 + 2 * w) / ((1 + w) * h)
            a1 = -(1 + w) / h
            a2 = w * w / ((1 + w) * h)
            hb = a2 * (hist[-2][1] - y_n)             # dy/dt = a0 (y - y_n) + hb
            s_hist = [a1 * s1 + a2 * s2 for s1, s2 in zip(shist[-1], shist[-2])]

        def ring_fun(j, vm, _a0=a0, _sh=s_hist):
            r = P.rings[j]
            if r.n_states == 0:
                return P.steady_ring_current(j, vm)

            def f(v):
                return r.current(v, r.implicit_states(v, _sh[j], _a0))
            d = 1e-5
            return f(vm), (f(vm + d) - f(vm - d)) / (2 * d)

        # predictor
        if len(hist) >= 3 and not bdf1:
            (t2, y2), (t1, y1), (t0, y0) = hist[-3], hist[-2], hist[-1]
            l0 = (t_new - t1) * (t_new - t2) / ((t0 - t1) * (t0 - t2))
            l1 = (t_new - t0) * (t_new - t2) / ((t1 - t0) * (t1 - t2))
            l2 = (t_new - t0) * (t_new - t1) / ((t2 - t0) * (t2 - t1))
            y_pred = l0 * y0 + l1 * y1 + l2 * y2
        elif len(hist) >= 2:
            (t1, y1), (t0, y0) = hist[-2], hist[-1]
            y_pred = y0 + (y0 - y1) * (t_new - t0) / (t0 - t1)
        else:
            y_pred = None
        guess = y_n if y_pred is None else y_pred
        if y_pred is not None and np.any(guess.reshape(-1, nv)[:, 1:] <= 0):
            guess = y_n
        ok = True
        try:
            y_new, it, _ = P.newton(guess, i_at(t_new), 1.0, a0, hb, ring_fun, y_n,
                                    max_iter=8, rtol=0.01 * rtol, atol_u=0.01 * atol[0],
                                    atol_c=0.01 * atol[1])
            n_newton += it
        except ConvergenceError as exc:
            ok = False
            last_exc = exc
        if ok and np.any(y_new.reshape(-1, nv)[:, 1:] < 0):
            ok = False
            last_exc = None
        err = 0.0
        if ok and y_pred is not None and not bdf1 and len(hist) >= 3:
            H = t_new - hist[-3][0]
            r = h * (1 + w) / ((1 + 2 * w) * H)
            err = float(np.max(np.abs(y_new - y_pred) / (atol + rtol * np.abs(y_new)))
                        * r / (1 + r))
        if not ok or err > 1.0:
            n_rej += 1
            dt = h * (0.25 if not ok else max(0.2, 0.9 * err ** (-1.0 / 3.0)))
            if dt < 1e-12:
                _, c = P.unpack(hist[-1][1])
                k = int(np.argmin(c.min(axis=1) / np.maximum(P.bulk * P.c_ref, 1e-300)))
                j = int(np.argmin(c[k]))
                if c[k, j] < 1e-3 * P.bulk[k] * P.c_ref:
                    raise DepletionError(
                        f"species {P.names[k]!r} ran out at x = {P.x[j]:.4g} um at "
                        f"t = {t:.6g} ms (concentration {c[k, j]:.3g} mM): the current "
                        f"({i_at(t):g} nA) draws more than the neck can supply, so no "
                        "solution exists beyond this time", species=P.names[k],
                        x=float(P.x[j]), t=t)
                hist_r = last_exc.residuals if last_exc is not None else ()
                raise ConvergenceError(f"time step fell below 1e-12 ms at t = {t:.6g} ms",
                                       hist_r)
            continue
        # accept
        new_states = []
        if P.rings:
            vm_new = P.ring_vm(y_new)
            for j, r in enumerate(P.rings):
                new_states.append(r.implicit_states(vm_new[j], s_hist[j], a0)
                                  if r.n_states else r.steady_states(vm_new[j]))
        n_steps += 1
        dts.append(h)
        t = t_new
        hist.append((t, y_new))
        shist.append(new_states)
        if len(hist) > 3:
            hist.pop(0)
            shist.pop(0)
        if restart > 0:
            restart -= 1
            dt = h * 2.0 if restart == 0 else h
        else:
            dt = h * min(2.0, max(0.2, 0.9 * max(err, 1e-10) ** (-1.0 / 3.0)))
        at_break = any(abs(t - b) <= 1e-12 * max(1.0, b) for b in breaks)
        if at_break:
            hist = [(t, y_new)]
            shist = [new_states]
            restart = 2
            dt = float(dt_initial)
        if t_eval is None or np.any(np.abs(t_eval - t) <= 1e-12 * max(t, 1.0)):
            record(t, y_new, new_states)
        if progress is not None:
            progress(t, t_stop)
    ts = np.array(rec_t)
    vs, cs = zip(*(P.unpack(yy) for yy in rec_y)) if rec_y else ((), ())
    c_arr = np.array(cs)                            # (nt, ns, n)
    return TransientSolution(
        t=ts, x=P.x.copy(), v=np.array(vs),
        c={s: c_arr[:, k, :] for k, s in enumerate(P.names)},
        current=np.array(rec_i), z={s.name: s.z for s in P.species}, carrier=P.carrier,
        celsius=P.celsius, vt=P.vt, debye_length=P.debye, head_bc=P.head_bc,
        ring_vm=np.array(rec_vm).reshape(len(ts), len(P.rings)),
        ring_current=np.array(rec_ir, dtype=float).reshape(len(ts), len(P.rings)),
        n_steps=n_steps, n_rejected=n_rej, n_newton=n_newton,
        dt_min=float(min(dts)) if dts else float("nan"),
        dt_max=float(max(dts)) if dts else float("nan"), gamma=P.gamma)
