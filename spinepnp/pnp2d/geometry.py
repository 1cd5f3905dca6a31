"""Axisymmetric domains of the 2-D PNP solver, in the (r, z) half plane [um].

The axis of symmetry is r = 0. Every domain has three named boundaries besides the
axis:

- ``"dendrite"``: where the domain meets the dendrite, whose interior is held at the
  bulk concentrations and at potential 0 (the reference of every potential);
- ``"cap"``: where the current enters (a flux of the carrier), positive into the head;
- ``"membrane"``: the insulating membrane (no flux, zero normal field).

``z`` runs from the dendrite (z = 0 at the neck's base) towards the head, so a ring at
axial position ``x`` of a quasi-1D geometry (:mod:`spinepnp.geometry`) sits at z = x.

Meshes are graded towards the cap (the only Debye layer: an uncharged insulating wall
needs none, because the electroneutral bulk already has zero normal field there, see
:mod:`spinepnp.pnp2d.system`) and towards the corners, where the field is singular.
``resolution`` scales every element size by ``1 / resolution``.
"""

from __future__ import annotations

import math

import numpy as np

from ..geometry import check_positive
from .mesh import Refinement, Segment, graded_nodes, gmsh_mesh, tensor_mesh

__all__ = ["Geometry2D", "Cylinder", "BallAndNeck", "HyperboloidNeck", "DiscOnHalfSpace"]


def _resolution(resolution) -> float:
    return check_positive("resolution", resolution, "(a factor, 1 = default mesh)")


class Geometry2D:
    """Base class: a domain of revolution with a mesh generator.

    Subclasses set ``head_centre`` (r, z) [um], where ``head_centre_potential`` is read,
    and implement ``mesh(resolution, debye_length)``.
    """

    head_centre: tuple = (0.0, 0.0)

    def mesh(self, resolution: float = 1.0, debye_length: float = 7.5e-4):
        """A graded ``skfem.MeshTri`` with the named boundaries."""
        raise NotImplementedError

    def quasi_1d(self):
        """The quasi-1D :mod:`spinepnp.geometry` profile of the same spine (dendrite
        end at x = 0), for the comparisons."""
        raise NotImplementedError


class Cylinder(Geometry2D):
    """A cylinder: dendrite end at z = 0, cap at z = length.

    Parameters
    ----------
    length, radius : float
        Length and radius [um].
    cap_radius : float or None
        Radius of the injection disc centred on the axis of the end z = length [um]
        (None: the whole end, so the current is spread over it and the problem is 1-D).
    """

    def __init__(self, length: float, radius: float, cap_radius: float | None = None):
        self.length = check_positive("length", length, "um")
        self.radius = check_positive("radius", radius, "um")
        self.cap_radius = self.radius if cap_radius is None else \
            check_positive("cap_radius", cap_radius, "um")
        if self.cap_radius > self.radius * (1 + 1e-12):
            raise ValueError(f"cap_radius = {cap_radius} um exceeds the cylinder's radius "
                             f"{self.radius} um")
        self.cap_radius = min(self.cap_radius, self.radius)
        self.head_centre = (0.0, self.length)

    @property
    def full_cap(self) -> bool:
        return self.cap_radius >= self.radius

    def nodes(self, resolution: float = 1.0, debye_length: float = 7.5e-4):
        """The tensor grid's (r, z) node positions [um]."""
        s = _resolution(resolution)
        lam = float(debye_length)
        hz = graded_nodes(self.length, lam / (2 * s), self.length / (100 * s),
                          grading=0.25 / s, at=("end",))
        if self.full_cap:
            nr = max(int(round(4 * s)), 2)
            r = np.linspace(0.0, self.radius, nr + 1)
        else:
            a = self.cap_radius
            h0 = max(lam, 0.01 * a) / s
            hmax = min(a, self.radius - a) / (4 * s)
            left = a - graded_nodes(a, h0, hmax, 0.25 / s, at=("start",))[::-1]
            right = a + graded_nodes(self.radius - a, h0, 4 * hmax, 0.25 / s,
                                     at=("start",))
            r = np.concatenate([left, right[1:]])
            r[0] = 0.0
        return r, hz

    def mesh(self, resolution: float = 1.0, debye_length: float = 7.5e-4):
        r, z = self.nodes(resolution, debye_length)
        L, R, a = self.length, self.radius, self.cap_radius
        tol = 1e-9 * max(L, R)
        return tensor_mesh(r, z, {
            "dendrite": lambda rr, zz: zz < tol,
            "cap": lambda rr, zz: (zz > L - tol) & (rr < a + tol),
            "membrane": lambda rr, zz: ((zz > L - tol) & (rr > a + tol)) | (rr > R - tol),
        })

    def quasi_1d(self):
        from ..geometry import Cylinder as Cyl1D
        return Cyl1D(self.length, self.radius)

    def __repr__(self):
        return (f"Cylinder(length={self.length!r}, radius={self.radius!r}, "
                f"cap_radius={self.cap_radius!r})")


class _Spine(Geometry2D):
    """A neck on a dendrite ending in a head; the dendrite is a half ball of radius
    ``dendrite_radius`` below the plane z = 0 (its outer surface holds the bulk
    concentrations and potential 0; the plane z = 0 outside the neck is membrane)."""

    def _dendrite_outline(self, rn):
        rd = self.dendrite_radius
        return [Segment((0.0, -rd), (rd, 0.0), "dendrite", centre=(0.0, 0.0)),
                Segment((rd, 0.0), (rn, 0.0), "membrane")]

    def _mesh(self, outline, corners, resolution, debye_length, h_max):
        s = _resolution(resolution)
        lam = float(debye_length)
        refs = [Refinement(lam / (2 * s), 0.2 / s, segments=("cap",)),
                Refinement(self._h_corner() / s, 0.25 / s, points=tuple(corners))]
        return gmsh_mesh(outline, refs, h_max / s, name=type(self).__name__)

    def _h_corner(self):
        return self.neck_radius / 40


class BallAndNeck(_Spine):
    """A cylindrical neck on a dendrite, opening into a spherical head with an injection
    cap at its top (the paper's Fig 3 spine).

    Parameters
    ----------
    neck_length, neck_radius : float
        Neck [um], from the dendrite surface (z = 0) to where it meets the sphere.
    head_radius : float
        Radius of the spherical head [um], > neck_radius.
    cap_radius : float
        Radius of the injection cap [um]: the part of the sphere within this distance of
        the axis around its north pole (10 nm in the paper's Fig 3).
    dendrite_radius : float
        Radius of the half ball of dendrite below the neck [um] (default 1 um): its
        outer surface is the reference (bulk concentrations, potential 0).
    """

    def __init__(self, neck_length: float = 1.0, neck_radius: float = 0.05,
                 head_radius: float = 0.25, cap_radius: float = 0.01,
                 dendrite_radius: float = 1.0):
        self.neck_length = check_positive("neck_length", neck_length, "um")
        self.neck_radius = check_positive("neck_radius", neck_radius, "um")
        self.head_radius = check_positive("head_radius", head_radius, "um")
        self.cap_radius = check_positive("cap_radius", cap_radius, "um")
        self.dendrite_radius = check_positive("dendrite_radius", dendrite_radius, "um")
        if not self.neck_radius < self.head_radius:
            raise ValueError(f"BallAndNeck needs neck_radius < head_radius (got "
                             f"{neck_radius} and {head_radius} um)")
        if not self.cap_radius < 0.9 * self.head_radius:
            raise ValueError(f"cap_radius = {cap_radius} um must be below 0.9 head_radius "
                             f"({0.9 * self.head_radius:g} um)")
        if not self.dendrite_radius > 2 * self.neck_radius:
            raise ValueError(f"dendrite_radius = {dendrite_radius} um must exceed twice "
                             f"the neck radius ({2 * self.neck_radius:g} um)")
        rh, rn = self.head_radius, self.neck_radius
        self.z_centre = self.neck_length + math.sqrt(rh * rh - rn * rn)
        self.z_top = self.z_centre + rh
        self.head_centre = (0.0, self.z_centre)

    def outline(self):
        rh, rn, rc, ln = self.head_radius, self.neck_radius, self.cap_radius, \
            self.neck_length
        zc = self.z_centre
        zcap = zc + math.sqrt(rh * rh - rc * rc)
        return self._dendrite_outline(rn) + [
            Segment((rn, 0.0), (rn, ln), "membrane"),
            Segment((rn, ln), (rh, zc), "membrane", centre=(0.0, zc)),
            Segment((rh, zc), (rc, zcap), "membrane", centre=(0.0, zc)),
            Segment((rc, zcap), (0.0, self.z_top), "cap", centre=(0.0, zc)),
            Segment((0.0, self.z_top), (0.0, -self.dendrite_radius), None),
        ]

    def mesh(self, resolution: float = 1.0, debye_length: float = 7.5e-4):
        rn, ln = self.neck_radius, self.neck_length
        h_max = min(rn / 3, self.head_radius / 8)
        return self._mesh(self.outline(), [(rn, 0.0), (rn, ln)], resolution,
                          debye_length, h_max)

    def quasi_1d(self):
        from ..geometry import ball_and_neck
        return ball_and_neck(self.neck_length, self.neck_radius, self.head_radius,
                             self.cap_radius)

    def __repr__(self):
        return (f"BallAndNeck(neck_length={self.neck_length!r}, "
                f"neck_radius={self.neck_radius!r}, head_radius={self.head_radius!r}, "
                f"cap_radius={self.cap_radius!r}, "
                f"dendrite_radius={self.dendrite_radius!r})")


class HyperboloidNeck(Geometry2D):
    """A hyperboloid constriction of circular section (paper eq 15-18 with a = b):
    radius ``a sqrt(1 + (z - h)^2 / c^2)`` for z in [0, 2h]; the dendrite end is z = 0,
    the current is spread over the other end z = 2h (the cap).

    Parameters
    ----------
    a : float
        Radius at the narrowest point [um].
    c : float
        Flare parameter [um].
    half_length : float
        Half of the length h [um].
    """

    def __init__(self, a: float, c: float, half_length: float):
        self.a = check_positive("a", a, "um")
        self.c = check_positive("c", c, "um")
        self.half_length = check_positive("half_length", half_length, "um")
        self.length = 2 * self.half_length
        self.head_centre = (0.0, self.length)

    def radius(self, z):
        return self.a * np.sqrt(1.0 + ((np.asarray(z) - self.half_length) / self.c) ** 2)

    def mesh(self, resolution: float = 1.0, debye_length: float = 7.5e-4):
        s = _resolution(resolution)
        L = self.length
        r_end = float(self.radius(0.0))
        zs = np.linspace(0.0, L, 41)
        outline = [Segment((0.0, 0.0), (r_end, 0.0), "dendrite")]
        for z0, z1 in zip(zs[:-1], zs[1:]):
            outline.append(Segment((float(self.radius(z0)), z0),
                                   (float(self.radius(z1)), z1), "membrane"))
        outline += [Segment((r_end, L), (0.0, L), "cap"),
                    Segment((0.0, L), (0.0, 0.0), None)]
        lam = float(debye_length)
        refs = [Refinement(lam / (2 * s), 0.2 / s, segments=("cap",))]
        return gmsh_mesh(outline, refs, min(self.a / 3, L / 20) / s, "HyperboloidNeck")

    def quasi_1d(self):
        from ..geometry import Hyperboloid
        return Hyperboloid(self.a, self.a, self.c, self.half_length)

    def __repr__(self):
        return (f"HyperboloidNeck(a={self.a!r}, c={self.c!r}, "
                f"half_length={self.half_length!r})")


class DiscOnHalfSpace(Geometry2D):
    """A disc of radius ``cap_radius`` on an insulating plane, injecting into a half
    ball of electrolyte of radius ``radius`` whose curved surface is the reference
    ("dendrite"); the domain is z in [-radius, 0]. The test domain of the spreading
    (access) resistance rho/(4a).
    """

    def __init__(self, cap_radius: float = 0.01, radius: float = 0.5):
        self.cap_radius = check_positive("cap_radius", cap_radius, "um")
        self.radius = check_positive("radius", radius, "um")
        if not self.radius > 5 * self.cap_radius:
            raise ValueError("DiscOnHalfSpace needs radius > 5 cap_radius")
        self.head_centre = (0.0, 0.0)

    def mesh(self, resolution: float = 1.0, debye_length: float = 7.5e-4):
        s = _resolution(resolution)
        a, R = self.cap_radius, self.radius
        outline = [Segment((0.0, -R), (R, 0.0), "dendrite", centre=(0.0, 0.0)),
                   Segment((R, 0.0), (a, 0.0), "membrane"),
                   Segment((a, 0.0), (0.0, 0.0), "cap"),
                   Segment((0.0, 0.0), (0.0, -R), None)]
        lam = float(debye_length)
        refs = [Refinement(lam / (2 * s), 0.2 / s, segments=("cap",)),
                Refinement(a / 50 / s, 0.2 / s, points=((a, 0.0),))]
        return gmsh_mesh(outline, refs, R / 8 / s, "DiscOnHalfSpace")

    def __repr__(self):
        return f"DiscOnHalfSpace(cap_radius={self.cap_radius!r}, radius={self.radius!r})"
