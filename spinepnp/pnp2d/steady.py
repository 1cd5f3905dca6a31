"""Steady states of the 2-D PNP system: continuation in the current, I-V sweeps."""

from __future__ import annotations

import math
import time

import numpy as np

from ..pnp.errors import ConvergenceError, DepletionError
from ..pnp.steady import _current, outward_order
from .result import IVCurve2D, Steady2D
from .system import Problem2D

__all__ = ["build_problem", "solve_steady", "sweep_steady", "solve_electrode"]


def build_problem(geometry, species=None, carrier="na", celsius=20.0, rings=(),
                  v_rest=-70.0, resolution=1.0, mesh=None) -> Problem2D:
    """The discretised problem (mesh, basis, species, rings) for repeated solves."""
    return Problem2D(geometry, species, carrier, celsius, rings, v_rest, resolution, mesh)


def _rest(P: Problem2D, kw):
    """Zero-current state; with rings, by homotopy in the size of the ring currents."""
    X = P.rest_state()
    if not P.rings:
        return X
    s, ds = 0.0, 1.0
    while s < 1.0:
        s_try = min(1.0, s + ds)
        try:
            X, it, _ = P.newton(X, 0.0, ring_scale=s_try, **kw)
            s = s_try
            ds = ds * 2 if it <= 5 else ds
        except ConvergenceError:
            ds *= 0.5
            if ds < 1e-6:
                raise ConvergenceError("no rest state: the homotopy in the ring currents "
                                       f"stalled at {s:.3g} of their size") from None
    return X


def _march(P: Problem2D, X, i_from, i_to, kw, X_prev=None, i_prev=None):
    """Continuation in the current from ``i_from`` (state X) to ``i_to``, with step
    halving and a secant predictor through the previous state ``X_prev`` (in the Fig 3
    spine's 11-current I-V it saves 9 of 44 Newton iterations; without it the sweep
    takes 40 % longer); returns (X, iterations)."""
    span = i_to - i_from
    ds = span
    i_now = i_from
    while True:
        i_try = i_to if abs(i_to - i_now) <= abs(ds) else i_now + ds
        guess = X
        if X_prev is not None and i_now != i_prev:
            guess = X + (X - X_prev) * ((i_try - i_now) / (i_now - i_prev))
        try:
            X_new, it, _ = P.newton(guess, i_try, **kw)
        except ConvergenceError:
            ds *= 0.5
            if abs(ds) < 1e-3 * abs(span):
                c = P.concentrations(X)[P.icarrier]
                k = int(np.argmin(c))
                r, z = P.mesh.p[:, k]
                if c[k] < 1e-2 * P.species[P.icarrier].conc:
                    raise DepletionError(
                        f"no steady state beyond {i_now:g} nA: the carrier "
                        f"{P.carrier!r} runs out at (r, z) = ({r:.4g}, {z:.4g}) um "
                        f"({c[k]:.3g} mM) on the way to {i_to:g} nA",
                        species=P.carrier, current=i_now) from None
                raise ConvergenceError(f"Newton failed: continuation from {i_from:g} to "
                                       f"{i_to:g} nA stalled at {i_now:g} nA") from None
            continue
        X_prev, i_prev = X, i_now
        X, i_now = X_new, i_try
        if i_now == i_to:
            return X, it
        if it <= 4:
            ds *= 2.0


def solve_steady(geometry, current, species=None, celsius=20.0, *, carrier="na",
                 rings=(), v_rest=-70.0, resolution=1.0, mesh=None, max_iter=30,
                 tol=1e-9, initial=None, problem=None) -> Steady2D:
    """Steady state of the axisymmetric 2-D PNP system (no electroneutrality assumed).

    Parameters
    ----------
    geometry : Geometry2D
        ``BallAndNeck(neck_length, neck_radius, head_radius, cap_radius)``,
        ``Cylinder(length, radius)``, ``HyperboloidNeck(a, c, half_length)`` or
        ``DiscOnHalfSpace(cap_radius, radius)`` [um].
    current : float
        Current injected through the cap [nA], positive = positive charge into the head.
    species : list of spinepnp.pnp.Species or None
        Species (default: Na+ 12, K+ 155, anion 167 mM, the paper's Table I).
    celsius : float
        Temperature [degC].
    carrier : str
        Species carrying the injected current (default "na").
    rings : sequence of spinepnp.pnp.Ring
        Channel rings on the membrane (band centre at axial z = ring.x [um]).
    v_rest : float
        Dendrite membrane potential [mV]; rings see ``v_rest + V``.
    resolution : float
        Mesh refinement factor (1 = default; element sizes scale as 1/resolution).
    mesh : skfem.MeshTri or None
        A mesh with boundaries "dendrite", "cap", "membrane" (overrides resolution).
    max_iter, tol : int, float
        Newton iterations per solve; tolerance on the scaled updates (u = V/VT).
    initial : Steady2D or None
        Start from this solution (same problem).
    problem : Problem2D or None
        A prebuilt problem (:func:`build_problem`); set-up arguments are then ignored.

    Returns
    -------
    Steady2D
        With ``potential(r, z)`` [mV], ``concentration(name, r, z)`` [mM],
        ``head_centre_potential`` and ``max_potential`` [mV].

    Raises
    ------
    ValueError
        Bad geometry, species, rings or current.
    DepletionError
        The carrier runs out on the way to ``current``: no steady state.
    ConvergenceError
        Newton failed even with continuation.
    """
    current = _current(current)
    P = problem if problem is not None else build_problem(
        geometry, species, carrier, celsius, rings, v_rest, resolution, mesh)
    kw = dict(max_iter=max_iter, tol=tol)
    if initial is not None:
        if getattr(initial, "problem", None) is not P:
            raise ValueError("initial must be a Steady2D of the same problem "
                             "(pass problem=initial.problem)")
        X, i0 = initial.state, initial.current
    else:
        X, i0 = _rest(P, kw), 0.0
    X, it = _march(P, X, i0, current, kw) if current != i0 else (X, 0)
    return Steady2D.from_state(P, X, current, it)


def solve_electrode(geometry, potential, species=None, celsius=20.0, *, resolution=1.0,
                    mesh=None, problem=None, max_iter=30, tol=1e-9) -> Steady2D:
    """Steady state with the cap as an equipotential electrode at ``potential`` [mV]
    holding the bulk concentrations (every species crosses it); ``current`` of the
    result is the current it passes into the domain [nA]. Used for the spreading
    resistance of a disc (both ions carry current, so the resistivity is the bulk one,
    VT / (F C (D+ + D-)) for a binary salt)."""
    try:
        potential = float(potential)
    except (TypeError, ValueError):
        raise ValueError(f"potential = {potential!r} is not a number [mV]") from None
    if not math.isfinite(potential):
        raise ValueError(f"potential = {potential!r} mV must be finite")
    P = problem if problem is not None else build_problem(
        geometry, species, celsius=celsius, resolution=resolution, mesh=mesh)
    X, it, _ = P.newton(P.rest_state(), 0.0, electrode=potential, max_iter=max_iter,
                        tol=tol)
    i = P.boundary_current(X, "cap")
    return Steady2D.from_state(P, X, i, it, electrode=float(potential))


def sweep_steady(geometry, currents, species=None, celsius=20.0, *, carrier="na",
                 rings=(), v_rest=-70.0, resolution=1.0, mesh=None, max_iter=30,
                 tol=1e-9, keep_solutions=False, progress=None,
                 problem=None) -> IVCurve2D:
    """Steady I-V curve on one mesh: currents visited outwards from zero, each solve
    warm-started by a secant predictor. ``progress(done, total)`` after each current."""
    t0 = time.perf_counter()
    cur = np.array([_current(i) for i in np.atleast_1d(currents)], dtype=float)
    if cur.size == 0:
        raise ValueError("currents is empty: give at least one current [nA]")
    P = problem if problem is not None else build_problem(
        geometry, species, carrier, celsius, rings, v_rest, resolution, mesh)
    kw = dict(max_iter=max_iter, tol=tol)
    rest = _rest(P, kw)
    out = [None] * cur.size
    done = 0
    for idx in outward_order(cur):
        X, i_now, X_prev, i_prev = rest, 0.0, None, None
        for k in idx:
            i = float(cur[k])
            if i != i_now:
                X_new, it = _march(P, X, i_now, i, kw, X_prev, i_prev)
                X_prev, i_prev = X, i_now
                X, i_now = X_new, i
            else:
                it = 0
            out[k] = Steady2D.from_state(P, X, i, it)
            done += 1
            if progress is not None:
                progress(done, cur.size)
    return IVCurve2D(cur, np.array([s.head_centre_potential for s in out]),
                     np.array([s.max_potential for s in out]),
                     np.array([s.cap_potential for s in out]),
                     np.array([s.iterations for s in out]),
                     time.perf_counter() - t0, out if keep_solutions else None)
