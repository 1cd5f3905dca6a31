"""Full Poisson-Nernst-Planck solver: the ground truth for the neck laws.

Quasi-1D, area-weighted PNP along an axisymmetric domain of any cross-section S(x)
(x from the dendrite end to the head end), for any number of species of any valence
(Ca z = +2 included), without the electroneutrality assumption (paper eq 1, anion equation corrected: grad c_m inside its
own divergence)::

    dc_i/dt = (1/S) d/dx [S D_i (dc_i/dx + z_i c_i du/dx)],   u = V/VT
    (1/S) d/dx (S eps dV/dx) = -F sum_i z_i c_i

Dendrite end: bulk concentrations and V = 0. Head end: the injected current enters as
a flux of the carrier, no flux of the others, and zero field (an uncharged insulating
wall; ``head_bc="neutral"`` imposes local electroneutrality instead: the bulk answer is
the same). A species with D = 0 is an immobile background (the impermeant anions of
cytoplasm): no flux, held at its bulk concentration. The current can be carried by any
mobile species (``carrier``). Rings of voltage-gated channels (:mod:`spinepnp.channels` kinetics) add
membrane currents in narrow bands.

Numerics: vertex-centred finite volumes with Scharfetter-Gummel fluxes on a mesh graded
towards both Debye layers, Newton with an analytic banded Jacobian (LAPACK banded LU on
interleaved unknowns; rings by the Woodbury identity), variable-step BDF2 in time.

Public units: um, mV, mM, nA, ms, um2/ms, degC, MOhm. Importing this package does not
import NEURON or matplotlib.
"""

from .errors import ConvergenceError, DepletionError, PNPError, SaturationError
from .mesh import graded_mesh
from .result import IVCurve, SteadySolution, TransientSolution, bulk_head_potential
from .rings import BoltzmannRing, HHNaRing, Ring
from .species import Species, default_species
from .steady import build_problem, saturation_current, solve_steady, sweep_steady
from .stimuli import Waveform, alpha, constant, step
from .system import Problem
from .transient import solve_transient

__all__ = [
    "Species", "default_species",
    "solve_steady", "sweep_steady", "solve_transient", "build_problem",
    "saturation_current", "graded_mesh", "Problem",
    "SteadySolution", "TransientSolution", "IVCurve", "bulk_head_potential",
    "Ring", "BoltzmannRing", "HHNaRing",
    "Waveform", "constant", "step", "alpha",
    "PNPError", "SaturationError", "ConvergenceError", "DepletionError",
]
