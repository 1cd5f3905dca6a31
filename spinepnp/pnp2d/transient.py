"""Transient 2-D PNP: variable-step BDF2 with local error control.

Each step of size h (previous step h_p, ratio w = h/h_p) solves, by Newton with the
exact Jacobian, the weak equations with dc/dt replaced by ``a0 c + a1 c_n + a2 c_{n-1}``,
``a0 = (1+2w)/((1+w)h)``, ``a1 = -(1+w)/h``, ``a2 = w^2/((1+w)h)`` (stiffly stable, so the
nanosecond Debye-layer charging and the millisecond salt relaxation are both taken in
stride; backward Euler for the first step and after each breakpoint of the waveform).
The local error is estimated from the corrector minus the quadratic extrapolation of
the previous states (Milne's device), on the potential [mV] and on log-concentrations;
the step changes by ``0.9 err^(-1/3)``, at most twofold (variable-step BDF2 is
zero-stable for ratios below 1 + sqrt(2)), and lands on the waveform's breakpoints
(restarting at ``dt_initial`` after each) and on ``t_eval``.
Gating states of HH rings advance by the same implicit formula, inside the Newton
solve (through the ring's band potential).
"""

from __future__ import annotations

import math

import numpy as np

from ..pnp.errors import ConvergenceError, DepletionError
from ..pnp.stimuli import Waveform, constant
from ..pnp.transient import _times
from .result import Steady2D, Transient2D
from .steady import _rest, build_problem, solve_steady

__all__ = ["solve_transient"]


def _waveform(current) -> Waveform:
    if isinstance(current, Waveform):
        return current
    if callable(current):
        return Waveform(current)
    try:
        return constant(float(current))
    except (TypeError, ValueError):
        raise ValueError(f"current = {current!r} must be a number [nA] or a waveform "
                         "(spinepnp.pnp.step, alpha, constant)") from None


def solve_transient(geometry, current, t_stop, species=None, celsius=20.0, *,
                    carrier="na", rings=(), v_rest=-70.0, resolution=1.0, mesh=None,
                    t_eval=None, initial="rest", atol_v=0.01, atol_logc=1e-3,
                    dt_initial=1e-6, dt_max=None, max_steps=20000, progress=None,
                    problem=None) -> Transient2D:
    """Time course of the axisymmetric 2-D PNP system for an injected current waveform.

    Parameters
    ----------
    geometry, species, celsius, carrier, rings, v_rest, resolution, mesh
        As in :func:`spinepnp.pnp2d.solve_steady`.
    current : float or callable
        Current through the cap [nA] as a function of time [ms]
        (:func:`spinepnp.pnp.step`, ``alpha``, ``constant``) or a number.
    t_stop : float
        End time [ms].
    t_eval : array_like or None
        Times [ms] to record (the stepper lands on each); None: every accepted step.
    initial : {"rest", "steady"} or Steady2D
        Initial state: zero current (default), the steady state at ``current(0)``, or a
        given solution of the same problem.
    atol_v : float
        Local error tolerance on the potential [mV].
    atol_logc : float
        Local error tolerance on log-concentrations [1] (relative concentration).
    dt_initial, dt_max : float
        First step (and after each breakpoint) and largest step [ms]
        (default ``t_stop / 20``).
    max_steps : int
        Give up after this many steps (accepted + rejected).
    progress : callable or None
        ``progress(t, t_stop)`` after each accepted step.
    problem : Problem2D or None
        A prebuilt problem.

    Returns
    -------
    Transient2D

    Raises
    ------
    DepletionError
        The carrier runs out (no state beyond that time).
    ConvergenceError
        A step could not be taken even at the smallest step size.
    """
    wave = _waveform(current)
    t_stop, te = _times(t_stop, t_eval)
    for name, val in (("dt_initial", dt_initial), ("atol_v", atol_v),
                      ("atol_logc", atol_logc)):
        if not (math.isfinite(float(val)) and float(val) > 0):
            raise ValueError(f"{name} = {val!r} must be finite and > 0")
    dt_max = t_stop / 20 if dt_max is None else float(dt_max)
    P = problem if problem is not None else build_problem(
        geometry, species, carrier, celsius, rings, v_rest, resolution, mesh)
    kw = dict(max_iter=12, tol=1e-8)
    if isinstance(initial, Steady2D):
        if initial.problem is not P:
            raise ValueError("initial must be a Steady2D of the same problem "
                             "(pass problem=initial.problem)")
        X = initial.state.copy()
    elif initial == "steady":
        X = solve_steady(None, wave(0.0), problem=P).state.copy()
    elif initial == "rest":
        X = _rest(P, kw)
    else:
        raise ValueError(f"initial = {initial!r}: use 'rest', 'steady' or a Steady2D")

    states = [r.steady_states(vm) for r, vm in zip(P.rings, P.ring_vm(X))]
    stops = sorted({b for b in wave.breakpoints if 0 < b < t_stop} | {t_stop}
                   | (set(te.tolist()) if te is not None else set()))
    breaks = set(b for b in wave.breakpoints if 0 < b < t_stop)
    rec = {"t": [], "i": [], "vc": [], "vm": [], "vcap": [], "cmin": [], "ring": []}

    def record(t, X):
        s = Steady2D.from_state(P, X, wave(t))
        rec["t"].append(t)
        rec["i"].append(s.current)
        rec["vc"].append(s.head_centre_potential)
        rec["vm"].append(s.max_potential)
        rec["vcap"].append(s.cap_potential)
        rec["cmin"].append(float(s.c[P.carrier].min()))
        rec["ring"].append(s.ring_vm)
        return s

    if te is None or te[0] == 0.0:
        record(0.0, X)
    t, h = 0.0, float(dt_initial)
    hx = []                          # (t, X, ring states) of the last accepted steps
    steps = tries = 0
    while t < t_stop * (1 - 1e-12):
        nxt = min(s for s in stops if s > t * (1 + 1e-13) + 1e-15)
        h = min(h, dt_max, nxt - t)
        if nxt - t - h < 1e-9 * h:       # do not leave a sliver before a stop
            h = nxt - t
        tries += 1
        if tries > max_steps:
            raise ConvergenceError(f"solve_transient: more than {max_steps} steps "
                                   f"before t = {t_stop} ms (reached {t:.4g} ms)")
        c_n = P.concentrations(X) / P.c_ref
        if hx:                           # BDF2 with step ratio w
            t_p, X_p, st_p = hx[-1]
            h_p = t - t_p
            w = h / h_p
            a0, a1, a2 = (1 + 2 * w) / ((1 + w) * h), -(1 + w) / h, w * w / ((1 + w) * h)
            hist = a1 * c_n + a2 * P.concentrations(X_p) / P.c_ref
            s_hist = [a1 * np.asarray(s0) + a2 * np.asarray(s1)
                      for s0, s1 in zip(states, st_p)]
        else:                            # backward Euler (start, after a breakpoint)
            a0 = 1.0 / h
            hist = -a0 * c_n
            s_hist = [-a0 * np.asarray(s0) for s0 in states]
        ring_states = None
        if P.rings:
            ring_states = [(lambda v, r=r, sh=sh: r.implicit_states(v, sh, a0))
                           if r.n_states else None for r, sh in zip(P.rings, s_hist)]
        pred = None
        if hx:                           # polynomial extrapolation of the accepted states
            ts = [hh[0] for hh in hx[-2:]] + [t]
            Xs = [hh[1] for hh in hx[-2:]] + [X]
            tn = t + h
            pred = np.zeros_like(X)
            for k, (tk, Xk) in enumerate(zip(ts, Xs)):
                lk = 1.0
                for m, tm in enumerate(ts):
                    if m != k:
                        lk *= (tn - tm) / (tk - tm)
                pred += lk * Xk
        try:
            X_new, it, _ = P.newton(X if pred is None else pred, wave(t + h), a0=a0,
                                    hist=hist, ring_states=ring_states, **kw)
        except ConvergenceError:
            h *= 0.25
            if h < 1e-12:
                c = P.concentrations(X)[P.icarrier]
                if c.min() < 1e-2 * P.species[P.icarrier].conc:
                    raise DepletionError(f"the carrier {P.carrier!r} runs out at t = "
                                         f"{t:.4g} ms ({c.min():.3g} mM)",
                                         species=P.carrier, t=t) from None
                raise
            continue
        if pred is not None:
            du, dm = P.split(X_new - pred)
            diff = max(P.vt * float(np.max(np.abs(du))) / atol_v,
                       float(np.max(np.abs(dm - P.z[:, None] * du))) / atol_logc)
            # Milne: the BDF2 error is ~2/11 of the corrector-predictor difference (the
            # constant-step ratio of the error constants 2/9 and 1 + 2/9); with only two
            # past states the predictor is linear and BE's own error is half of it
            err = diff * (2.0 / 11.0 if len(hx) >= 2 else 0.5)
        else:
            err = 0.5
        if err > 1.0 and h > 1e-9:
            h *= max(0.2, 0.9 * err ** (-1.0 / 3.0))
            continue
        if P.rings:
            vms = P.ring_vm(X_new)
            new_states = [r.implicit_states(vm, sh, a0) if r.n_states else s0
                          for r, s0, sh, vm in zip(P.rings, states, s_hist, vms)]
        else:
            new_states = states
        hx = (hx + [(t, X, states)])[-2:]
        X, t, states = X_new, t + h, new_states
        steps += 1
        if te is None or np.any(np.abs(te - t) <= 1e-12 * max(t, 1.0)):
            record(t, X)
        if progress is not None:
            progress(t, t_stop)
        if any(abs(t - b) <= 1e-12 * max(b, 1.0) for b in breaks):
            h, hx = float(dt_initial), []
        else:
            h *= min(2.0, 0.9 * max(err, 1e-6) ** (-1.0 / 3.0))
    final = Steady2D.from_state(P, X, wave(t))
    ring = np.array(rec["ring"]) if P.rings else np.empty((0, 0))
    return Transient2D(np.array(rec["t"]), np.array(rec["i"]), np.array(rec["vc"]),
                       np.array(rec["vm"]), np.array(rec["vcap"]), np.array(rec["cmin"]),
                       steps, final, ring)
