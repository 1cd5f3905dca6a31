"""Steady states of the quasi-1D PNP system, with continuation and I-V sweeps."""

from __future__ import annotations

import math
import time

import numpy as np

from .errors import ConvergenceError, DepletionError, SaturationError, check_positive
from .result import IVCurve, SteadySolution
from .system import Problem

__all__ = ["solve_steady", "sweep_steady", "build_problem", "saturation_current",
           "outward_order"]


def _current(value) -> float:
    try:
        i = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"current = {value!r} is not a number [nA]") from None
    if not math.isfinite(i):
        raise ValueError(f"current = {value!r} nA must be finite")
    return i


def outward_order(currents) -> list:
    """Indices of ``currents`` in the order a continuation sweep visits them: the
    currents >= 0, then those < 0, each outwards from zero (by size; ties keep their
    order). Each side starts from the rest state, so no step crosses I = 0."""
    cur = np.asarray(currents, dtype=float)
    order = []
    for side in (cur >= 0, cur < 0):
        idx = np.nonzero(side)[0]
        order.append(idx[np.argsort(np.abs(cur[idx]), kind="stable")])
    return order


def build_problem(neck, species=None, carrier="na", celsius=20.0, rings=(), v_rest=-70.0,
                  n=2001, mesh=None, head_bc="insulating") -> Problem:
    """The discretised problem (mesh, species, rings) reused by repeated solves.

    Parameters are those of :func:`solve_steady`.
    """
    return Problem(neck, species, carrier, celsius, rings, v_rest, n, mesh, head_bc)


def saturation_current(neck, species=None, carrier="na", celsius=20.0):
    """Saturation current I_sat >= 0 [nA] (electroneutral theory), or None.

    In the sign convention of :mod:`spinepnp.laws`: the size of the largest current of
    the carrier that can be drawn out of the head in steady state; a steady current
    ``I`` exists only for ``z I > -I_sat`` (``I > -I_sat`` for a cation). For
    monovalent species the carrier runs out at the head end at
    ``I_sat = (1 - sqrt(C_same / C_counter)) 2 C_counter D F / Gamma``, with
    ``C_counter`` the total of the opposite-sign species and ``C_same`` the other
    species of the carrier's sign; for Na carrying the current beside K this is
    ``I_s2 (1 - sqrt(C_K/C_A))`` (:func:`spinepnp.laws.multispecies_saturation_current`).
    The default species are the paper's Table I (Na 12 mM beside K 155 mM: about 12 pA
    for the paper's neck), not the 167 mM binary salt that
    :func:`spinepnp.laws.saturation_current` defaults to (337 pA). Returns None when the
    formula does not apply (multivalent species).

    Parameters
    ----------
    neck : geometry
        Domain.
    species : list of Species or None
        Species (default: the paper's Table I).
    carrier : str
        Carrier species name.
    celsius : float
        Temperature [degC].
    """
    return Problem(neck, species, carrier, celsius, n=3).saturation_current()


def _check_saturation(problem: Problem, current: float):
    sat = problem.saturation_current()
    if sat is None:
        return
    zc = problem.z[problem.icarrier]
    if not zc * current > -sat:
        limit = -zc * sat
        raise SaturationError(
            f"no steady state: a current of {current:g} nA is beyond the saturation "
            f"current of carrier {problem.carrier!r} (at most {sat:g} nA can be drawn out "
            f"of the head: the carrier runs out at the head end, its concentration there "
            f"would fall to zero). Use currents {'above' if zc > 0 else 'below'} "
            f"{limit:g} nA, or a transient to see the carrier being depleted",
            current=current, limit=limit)


def _newton_kw(max_iter, tol):
    return dict(max_iter=check_positive("max_iter", max_iter, integer=True),
                rtol=check_positive("tol", tol))


def _rest_state(problem: Problem, newton_kw) -> np.ndarray:
    """Zero-current steady state; with rings, reached by homotopy in the ring currents."""
    y = problem.uniform_state()
    if not problem.rings:
        return y
    s, ds = 0.0, 1.0
    last = None
    while s < 1.0:
        s_try = min(1.0, s + ds)
        try:
            y, it, _ = problem.newton(y, 0.0, ring_scale=s_try, **newton_kw)
            s = s_try
            if it <= 5:
                ds *= 2.0
        except ConvergenceError as exc:
            last = exc
            ds *= 0.5
            if ds < 1e-6:
                raise ConvergenceError("no rest state found: the homotopy in the ring "
                                       f"currents stalled at {s:.3g} of their size",
                                       last.residuals, last.updates) from None
    return y


def _continue(problem: Problem, y, i_from, i_to, newton_kw, y_prev=None, i_prev=None):
    """March the current from ``i_from`` (state ``y``) to ``i_to``; returns
    (y, iterations, residuals) of the final solve."""
    span = i_to - i_from
    ds = span
    i_now = i_from
    last_exc = None
    while True:
        i_try = i_to if abs(i_to - i_now) <= abs(ds) else i_now + ds
        if y_prev is not None and i_now != i_prev:
            guess = y + (y - y_prev) * ((i_try - i_now) / (i_now - i_prev))
            c = guess.reshape(problem.n, problem.nv)[:, 1:]
            if np.any(c <= 0):
                guess = y
        else:
            guess = y
        try:
            y_new, it, hist = problem.newton(guess, i_try, **newton_kw)
        except ConvergenceError as exc:
            last_exc = exc
            ds *= 0.5
            if abs(ds) < 1e-7 * abs(span) or abs(ds) < 1e-12:
                cmin = problem.unpack(y)[1]
                k = int(np.argmin(cmin[problem.icarrier]))
                c_low = float(cmin[problem.icarrier, k])
                if c_low < 1e-3 * problem.species[problem.icarrier].conc:
                    raise DepletionError(
                        f"no steady state beyond {i_now:g} nA: carrier "
                        f"{problem.carrier!r} runs out at x = {problem.x[k]:.4g} um "
                        f"({c_low:.3g} mM) on the way to {i_to:g} nA",
                        species=problem.carrier, x=float(problem.x[k]), current=i_now)
                raise ConvergenceError(
                    f"Newton failed: continuation from {i_from:g} to {i_to:g} nA "
                    f"stalled at {i_now:g} nA (lowest {problem.carrier} concentration "
                    f"{cmin[problem.icarrier, k]:.3g} mM at x = {problem.x[k]:.4g} um)",
                    last_exc.residuals, last_exc.updates) from None
            continue
        y_prev, i_prev = y, i_now
        y, i_now = y_new, i_try
        if i_now == i_to:
            return y, it, hist
        if it <= 4:
            ds *= 2.0


def _solution(problem: Problem, y, current, it, hist) -> SteadySolution:
    v, c = problem.unpack(y)
    cmin = c.min(axis=1)
    if (cmin < 0).any():
        k = int(np.argmin(cmin))
        raise DepletionError(f"species {problem.names[k]!r} has a negative concentration "
                             f"({cmin[k]:.3g} mM): it ran out, no steady state exists",
                             species=problem.names[k])
    vms = problem.ring_vm(y)
    icur = np.array([problem.steady_ring_current(j, vm)[0] for j, vm in enumerate(vms)])
    return SteadySolution(
        x=problem.x.copy(), v=v, c={s: c[k] for k, s in enumerate(problem.names)},
        current=float(current), z={s.name: s.z for s in problem.species},
        carrier=problem.carrier, celsius=problem.celsius, vt=problem.vt,
        debye_length=problem.debye, head_bc=problem.head_bc, iterations=int(it),
        residuals=list(hist), ring_vm=vms, ring_current=icur, state=y,
        gamma=problem.gamma)


def solve_steady(neck, current, species=None, carrier="na", celsius=20.0, *, rings=(),
                 v_rest=-70.0, n=2001, mesh=None, head_bc="insulating", max_iter=30,
                 tol=1e-9, initial=None, problem=None) -> SteadySolution:
    """Steady state of the full (non-electroneutral) PNP system for an injected current.

    Newton's method with an analytic banded Jacobian, started from the electroneutral
    law's profile when it applies; if that fails (or with rings), continuation from the
    rest state in the current, with step halving and a secant predictor.

    Parameters
    ----------
    neck : geometry
        Domain: ``spinepnp.laws.Cylinder``, ``Hyperboloid``, ``Profile`` or
        ``ball_and_neck(...)`` (x from the dendrite end to the head end [um]).
    current : float
        Current injected at the head end [nA], positive = positive charge into the head.
    species : list of Species or None
        Species (default: Na+ 12 mM, K+ 155 mM, anion 167 mM of the paper's Table I).
    carrier : str
        Species carrying the injected current (default "na").
    celsius : float
        Temperature [degC].
    rings : sequence of Ring
        Voltage-gated channel rings (:class:`BoltzmannRing`, :class:`HHNaRing`).
    v_rest : float
        Membrane potential at the dendrite end [mV]; rings see ``v_rest + V(x)``.
    n : int
        Number of mesh nodes (graded towards both ends).
    mesh : array_like or None
        Explicit node positions [um] (overrides ``n``).
    head_bc : {"insulating", "neutral"}
        Potential condition at the head end: zero field (an uncharged insulating wall)
        or local electroneutrality. The bulk solution does not depend on the choice.
    max_iter : int
        Newton iterations per solve.
    tol : float
        Relative tolerance of the Newton updates [1].
    initial : SteadySolution or None
        Initial guess (a solution on the same mesh).
    problem : Problem or None
        A prebuilt problem (:func:`build_problem`); the other set-up arguments are then
        ignored.

    Returns
    -------
    SteadySolution

    Raises
    ------
    SaturationError
        The current is beyond the carrier's saturation current: no steady state exists.
    ValueError
        Invalid species, geometry, mesh or rings.
    ConvergenceError
        Newton failed even with continuation (carries the residual history).
    """
    current = _current(current)
    kw = _newton_kw(max_iter, tol)
    P = problem if problem is not None else build_problem(
        neck, species, carrier, celsius, rings, v_rest, n, mesh, head_bc)
    _check_saturation(P, current)
    guess = None
    if initial is not None:
        guess = getattr(initial, "state", None)
        if guess is None or guess.size != P.N:
            raise ValueError("initial must be a SteadySolution on the same mesh")
    elif not P.rings:
        guess = P.law_state(current)
    if guess is not None:
        try:
            y, it, hist = P.newton(guess, current, **kw)
            return _solution(P, y, current, it, hist)
        except ConvergenceError:
            pass
    y0 = _rest_state(P, kw)
    y, it, hist = _continue(P, y0, 0.0, current, kw)
    return _solution(P, y, current, it, hist)


def sweep_steady(neck, currents, species=None, carrier="na", celsius=20.0, *, rings=(),
                 v_rest=-70.0, n=2001, mesh=None, head_bc="insulating", max_iter=30,
                 tol=1e-9, keep_solutions=False, progress=None, problem=None) -> IVCurve:
    """Steady I-V curve by continuation: one mesh, each solve warm-started.

    The currents are visited outwards from zero in both directions; every solve starts
    from a secant extrapolation of the two previous solutions, and a failed solve is
    retried with continuation (step halving).

    Parameters
    ----------
    neck, species, carrier, celsius, rings, v_rest, n, mesh, head_bc, max_iter, tol
        As in :func:`solve_steady`.
    currents : array_like
        Injected currents [nA].
    keep_solutions : bool
        Keep every :class:`SteadySolution` (memory: n x species per current).
    progress : callable or None
        Called as ``progress(done, total)`` after each current.
    problem : Problem or None
        A prebuilt problem.

    Returns
    -------
    IVCurve

    Raises
    ------
    SaturationError
        If any current is beyond saturation (checked before any work).
    """
    t0 = time.perf_counter()
    cur = np.array([_current(i) for i in np.atleast_1d(currents)], dtype=float)
    if cur.size == 0:
        raise ValueError("currents is empty: give at least one current [nA]")
    kw = _newton_kw(max_iter, tol)
    P = problem if problem is not None else build_problem(
        neck, species, carrier, celsius, rings, v_rest, n, mesh, head_bc)
    for i in cur:
        _check_saturation(P, float(i))
    rest = _rest_state(P, kw)
    out = [None] * cur.size
    done = 0
    for idx in outward_order(cur):
        y, i_now, y_prev, i_prev = rest, 0.0, None, None
        for k in idx:
            i = float(cur[k])
            if i == i_now and y_prev is None and not P.rings and i == 0.0:
                y_new, it, hist = P.newton(y, i, **kw)
            elif i == i_now:
                y_new, it, hist = y, 0, []
            else:
                if y_prev is not None:
                    guess = y + (y - y_prev) * ((i - i_now) / (i_now - i_prev))
                    if np.any(guess.reshape(P.n, P.nv)[:, 1:] <= 0):
                        guess = y
                else:
                    law = None if P.rings else P.law_state(i)
                    guess = law if law is not None else y
                try:
                    y_new, it, hist = P.newton(guess, i, **kw)
                except ConvergenceError:
                    y_new, it, hist = _continue(P, y, i_now, i, kw, y_prev, i_prev)
                y_prev, i_prev = y, i_now
            y, i_now = y_new, i
            out[k] = _solution(P, y, i, it, hist)
            done += 1
            if progress is not None:
                progress(done, cur.size)
    return IVCurve(current=cur, v_head=np.array([s.head_potential for s in out]),
                   v_bulk=np.array([s.bulk_head_potential for s in out]),
                   iterations=np.array([s.iterations for s in out]),
                   elapsed=time.perf_counter() - t0,
                   solutions=out if keep_solutions else None)
