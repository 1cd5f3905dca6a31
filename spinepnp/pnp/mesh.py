"""Meshes graded towards the Debye layers at both ends of the domain.

The nodes equidistribute the density ``rho(x) = 1 + A exp(-x/delta) + A exp(-(L-x)/delta)``
(``delta`` a few Debye lengths): node ``i`` of ``n`` sits where the cumulative density
``M(x)`` reaches ``i/(n-1) M(L)``. Because the map from a uniform index to ``x`` is
smooth and fixed, doubling ``n`` refines every cell by half, so the second-order accuracy
of the scheme shows up under refinement; meshes with ``n`` and ``2n - 1`` nodes are
nested.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["graded_mesh", "check_mesh"]


def graded_mesh(length: float, n: int = 2001, delta: float = 3e-3,
                layer_fraction: float = 0.15) -> np.ndarray:
    """Node positions [um] from 0 to ``length``, refined at both ends.

    Parameters
    ----------
    length : float
        Domain length L [um].
    n : int
        Number of nodes (>= 3).
    delta : float
        Width of the refined regions [um]; a few Debye lengths (the default 3 nm is
        four Debye lengths of 167 mM salt).
    layer_fraction : float
        Fraction of the nodes placed in each refined region (0 <= f < 0.5); 0 gives a
        uniform mesh.

    Returns
    -------
    ndarray
        Strictly increasing positions [um], ``x[0] = 0``, ``x[-1] = length``.
    """
    return _graded_mesh(float(length), int(n), float(delta), float(layer_fraction)).copy()


@functools.lru_cache(maxsize=32)
def _graded_mesh(length, n, delta, layer_fraction):
    if n < 3:
        raise ValueError(f"mesh needs at least 3 nodes, got n = {n}")
    if not (length > 0 and np.isfinite(length)):
        raise ValueError(f"domain length {length!r} um must be finite and > 0")
    if not 0 <= layer_fraction < 0.5:
        raise ValueError(f"layer_fraction = {layer_fraction!r} must be in [0, 0.5)")
    if not delta > 0:
        raise ValueError(f"delta = {delta!r} um must be > 0")
    L = float(length)
    delta = min(float(delta), 0.25 * L)
    ad = layer_fraction * L / (1.0 - 2.0 * layer_fraction)   # A * delta
    a = ad / delta

    def cum(x):
        return x + ad * (-np.expm1(-x / delta)) + ad * (np.exp(-(L - x) / delta)
                                                         - np.exp(-L / delta))

    def rho(x):
        return 1.0 + a * np.exp(-x / delta) + a * np.exp(-(L - x) / delta)

    target = np.linspace(0.0, cum(L), n)
    # bisection for robustness, then Newton polish (M is smooth and increasing)
    lo = np.zeros(n)
    hi = np.full(n, L)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        below = cum(mid) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    x = 0.5 * (lo + hi)
    for _ in range(4):
        x = np.clip(x - (cum(x) - target) / rho(x), 0.0, L)
    x[0], x[-1] = 0.0, L
    if np.any(np.diff(x) <= 0):
        raise ValueError("mesh generation failed: nodes not increasing; use fewer nodes "
                         "or a larger delta")
    x.flags.writeable = False
    return x


def check_mesh(nodes, length: float) -> np.ndarray:
    """Validate user-given node positions [um] for a domain of ``length`` [um]."""
    x = np.asarray(nodes, dtype=float).ravel()
    if x.size < 3:
        raise ValueError(f"mesh needs at least 3 nodes, got {x.size}")
    if not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ValueError("mesh nodes must be finite and strictly increasing [um]")
    if abs(x[0]) > 1e-12 * length or abs(x[-1] - length) > 1e-9 * length:
        raise ValueError(f"mesh must run from 0 to the domain length {length} um "
                         f"(got {x[0]} .. {x[-1]})")
    x = x.copy()
    x[0], x[-1] = 0.0, float(length)
    return x
