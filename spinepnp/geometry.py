"""Axisymmetric domains for the neck laws and the PNP solver.

Every geometry is described along its axis by a coordinate ``x`` [um] that runs from the
dendrite end (``x = 0``) to the head end (``x = length``) and a cross-section ``S(x)``
[um2]. The only quantity the steady electroneutral laws need is

    gamma = integral_0^length dx / S(x)      [1/um]

(``gamma_at(x)`` is the same integral from 0 to ``x``). The PNP solver also uses
``area(x)``, ``radius(x)`` and ``length``.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

__all__ = ["Neck", "Cylinder", "Hyperboloid", "Profile", "ball_and_neck",
           "check_positive"]


def check_positive(name: str, value, unit: str) -> float:
    """Return ``value`` as float, or raise ValueError unless it is finite and > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} is not a number; give it in {unit}") from None
    if not math.isfinite(v) or v <= 0.0:
        raise ValueError(f"{name} = {value!r} {unit}: it must be a finite number > 0")
    return v


class Neck:
    """Base class of the axisymmetric geometries (subclasses set ``length``)."""

    length: float

    @property
    def gamma(self) -> float:
        """Integral of dx/S(x) over the whole domain [1/um]."""
        return float(self.gamma_at(self.length))

    def gamma_at(self, x):
        """Integral of dx/S(x) from the dendrite end to ``x`` [1/um] (vectorised)."""
        raise NotImplementedError

    def area(self, x):
        """Cross-section S(x) [um2] at axial position ``x`` [um] (vectorised)."""
        raise NotImplementedError

    def radius(self, x):
        """Radius of the circle of area S(x) [um] (vectorised)."""
        return np.sqrt(np.asarray(self.area(x), dtype=float) / np.pi)

    @property
    def volume(self) -> float:
        """Volume of the domain [um3] (numerical quadrature of S(x))."""
        xs = np.linspace(0.0, self.length, 4001)
        from scipy.integrate import trapezoid
        return float(trapezoid(self.area(xs), xs))

    def _x(self, x):
        xa = np.asarray(x, dtype=float)
        if np.any(~np.isfinite(xa)) or np.any(xa < -1e-12 * self.length) or \
                np.any(xa > self.length * (1 + 1e-12)):
            raise ValueError(f"x must lie in [0, {self.length}] um (the domain's length)")
        return np.clip(xa, 0.0, self.length)


class Cylinder(Neck):
    """Cylindrical neck (paper eq 5-7).

    Parameters
    ----------
    length : float
        Neck length L [um].
    radius : float
        Neck radius r0 [um].
    """

    def __init__(self, length: float, radius: float):
        self.length = check_positive("length", length, "um")
        self.radius0 = check_positive("radius", radius, "um")

    def area(self, x):
        return np.full_like(self._x(x), math.pi * self.radius0 ** 2, dtype=float)

    def gamma_at(self, x):
        return self._x(x) / (math.pi * self.radius0 ** 2)

    @property
    def volume(self) -> float:
        return math.pi * self.radius0 ** 2 * self.length

    def __repr__(self):
        return f"Cylinder(length={self.length!r}, radius={self.radius0!r})"


class Hyperboloid(Neck):
    """Constricted neck: a hyperboloid with an elliptic section (paper eq 15-18).

    The cross-section is ``S(z) = pi a b (1 + z^2/c^2)`` for ``z`` in
    ``[-half_length, half_length]``; the dendrite end is ``z = -half_length``, so the
    axial coordinate is ``x = z + half_length`` and ``length = 2 half_length``.

    Parameters
    ----------
    a, b : float
        Semi-axes of the narrowest (z = 0) ellipse [um].
    c : float
        Flare parameter [um]: the section doubles in area at ``|z| = c``.
    half_length : float
        Half of the neck length [um] (the paper's L).
    """

    def __init__(self, a: float, b: float, c: float, half_length: float):
        self.a = check_positive("a", a, "um")
        self.b = check_positive("b", b, "um")
        self.c = check_positive("c", c, "um")
        self.half_length = check_positive("half_length", half_length, "um")
        self.length = 2.0 * self.half_length

    def area(self, x):
        z = self._x(x) - self.half_length
        return math.pi * self.a * self.b * (1.0 + (z / self.c) ** 2)

    def gamma_at(self, x):
        z = self._x(x) - self.half_length
        return self.c / (math.pi * self.a * self.b) * (
            np.arctan(z / self.c) + math.atan(self.half_length / self.c))

    @property
    def volume(self) -> float:
        h = self.half_length
        return math.pi * self.a * self.b * (2 * h + 2 * h ** 3 / (3 * self.c ** 2))

    def __repr__(self):
        return (f"Hyperboloid(a={self.a!r}, b={self.b!r}, c={self.c!r}, "
                f"half_length={self.half_length!r})")


class Profile(Neck):
    """Any axisymmetric domain given by its radius at sample points.

    The radius is taken as piecewise linear between the samples (a chain of conical
    frustums), for which ``gamma`` is exact: a frustum of length h between radii r1 and
    r2 contributes h / (pi r1 r2).

    Parameters
    ----------
    x : array_like
        Strictly increasing axial positions [um] from the dendrite end to the head end;
        positions are measured from ``x[0]``.
    radius : array_like
        Radius at each position [um], > 0.
    """

    def __init__(self, x, radius):
        xa = np.asarray(x, dtype=float).ravel()
        ra = np.asarray(radius, dtype=float).ravel()
        if xa.size < 2 or xa.shape != ra.shape:
            raise ValueError("Profile needs x and radius of equal length >= 2 "
                             f"(got {xa.size} and {ra.size} values)")
        if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ra))):
            raise ValueError("Profile x and radius must be finite (found NaN or inf)")
        if np.any(np.diff(xa) <= 0):
            raise ValueError("Profile x must be strictly increasing from the dendrite "
                             "end to the head end [um]")
        if np.any(ra <= 0):
            raise ValueError("Profile radius must be > 0 um everywhere (a zero radius "
                             "closes the domain; end the profile just before it)")
        self.x = xa - xa[0]
        self.r = ra
        self.length = float(self.x[-1])
        seg = np.diff(self.x) / (math.pi * ra[:-1] * ra[1:])
        self._cum = np.concatenate([[0.0], np.cumsum(seg)])

    @classmethod
    def from_function(cls, radius: Callable, length: float, n: int = 2001) -> "Profile":
        """Sample ``radius(x)`` [um] at ``n`` points on [0, length] [um]."""
        length = check_positive("length", length, "um")
        xs = np.linspace(0.0, length, int(n))
        return cls(xs, np.asarray(radius(xs), dtype=float) * np.ones_like(xs))

    def _seg(self, xa):
        i = np.clip(np.searchsorted(self.x, xa, side="right") - 1, 0, self.x.size - 2)
        h = self.x[i + 1] - self.x[i]
        t = (xa - self.x[i]) / h
        return i, t

    def radius(self, x):
        xa = self._x(x)
        i, t = self._seg(xa)
        return self.r[i] + (self.r[i + 1] - self.r[i]) * t

    def area(self, x):
        return math.pi * self.radius(x) ** 2

    def gamma_at(self, x):
        xa = self._x(x)
        i, t = self._seg(xa)
        s = xa - self.x[i]
        rs = self.r[i] + (self.r[i + 1] - self.r[i]) * t
        return self._cum[i] + s / (math.pi * self.r[i] * rs)

    @property
    def volume(self) -> float:
        h = np.diff(self.x)
        r1, r2 = self.r[:-1], self.r[1:]
        return float(np.sum(math.pi * h * (r1 * r1 + r1 * r2 + r2 * r2) / 3.0))

    def __repr__(self):
        return f"Profile(<{self.x.size} points, length={self.length:g} um>)"


def ball_and_neck(neck_length: float = 1.0, neck_radius: float = 0.05,
                  head_radius: float = 0.25, cap_radius: float = 0.01,
                  n_neck: int = 41, n_head: int = 201) -> Profile:
    """A whole spine: a cylindrical neck opening into a spherical head.

    The neck runs from the dendrite (x = 0) to ``neck_length``; the sphere of radius
    ``head_radius`` meets it where its section equals the neck's, and the profile ends at
    the head's north pole, cut where the radius falls to ``cap_radius`` (the injection
    cap of the paper's Fig 3, 10 nm there).

    Parameters
    ----------
    neck_length, neck_radius, head_radius, cap_radius : float
        Lengths [um]; ``cap_radius < neck_radius < head_radius``.
    n_neck, n_head : int
        Number of samples on the neck and on the head.
    """
    ln = check_positive("neck_length", neck_length, "um")
    rn = check_positive("neck_radius", neck_radius, "um")
    rh = check_positive("head_radius", head_radius, "um")
    rc = check_positive("cap_radius", cap_radius, "um")
    if not rc < rn < rh:
        raise ValueError("ball_and_neck needs cap_radius < neck_radius < head_radius "
                         f"(got {rc}, {rn}, {rh} um)")
    xn = np.linspace(0.0, ln, max(int(n_neck), 2))
    z0 = -math.sqrt(rh * rh - rn * rn)            # neck junction, relative to centre
    z1 = math.sqrt(rh * rh - rc * rc)             # cap, relative to centre
    # cosine spacing refines near both ends of the head where the radius changes fast
    s = 0.5 * (1 - np.cos(np.linspace(0.0, math.pi, max(int(n_head), 3))))
    zh = z0 + (z1 - z0) * s
    rhd = np.sqrt(np.maximum(rh * rh - zh * zh, rc * rc))
    x = np.concatenate([xn, ln + (zh[1:] - z0)])
    r = np.concatenate([np.full(xn.size, rn), rhd[1:]])
    return Profile(x, r)
