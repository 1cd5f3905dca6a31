"""Axisymmetric 2-D Poisson-Nernst-Planck solver: the spine's own (r, z) geometry.

A spine (ball head on a neck on a dendrite) is a body of revolution, so the full 3-D
PNP problem reduces exactly to the (r, z) half plane. This package solves steady and
transient PNP there for any set of species, without assuming electroneutrality::

    dc_i/dt = div(D_i (grad c_i + z_i c_i grad u)),   -eps VT lap u = F sum_i z_i c_i

with u = V/VT; the current enters through a cap of given radius as a flux of the
carrier, rings of voltage-gated channels (:mod:`spinepnp.channels` kinetics) are flux
bands on the membrane, the rest of the membrane is insulating (no flux, zero normal
field), and the dendrite holds the bulk concentrations at potential 0. It shows what
the quasi-1D solver (:mod:`spinepnp.pnp`) cannot have: the spreading resistance under
the cap and at the junctions, and a head that is not isopotential.

Numerics: P1 finite elements assembled by scikit-fem in the unknowns u and the
electrochemical potentials mu_i = ln(c_i/c_bulk) + z_i u (concentrations positive by
construction), meshes graded towards the cap's Debye layer and the corners (gmsh, or
scikit-fem's tensor meshes for a cylinder), Newton with the exact Jacobian, backward
Euler in time. Public units: um, mV, mM, nA, ms, um2/ms, degC.
"""

from .geometry import BallAndNeck, Cylinder, DiscOnHalfSpace, Geometry2D, HyperboloidNeck
from .result import IVCurve2D, Steady2D, Transient2D
from .steady import build_problem, solve_electrode, solve_steady, sweep_steady
from .system import Problem2D
from .transient import solve_transient

__all__ = ["BallAndNeck", "Cylinder", "HyperboloidNeck", "DiscOnHalfSpace", "Geometry2D",
           "solve_steady", "sweep_steady", "solve_transient", "solve_electrode", "build_problem",
           "Problem2D", "Steady2D", "Transient2D", "IVCurve2D"]
