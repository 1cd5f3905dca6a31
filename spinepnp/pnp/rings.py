"""Rings of voltage-gated channels on the domain's membrane (the paper's Fig 3).

A ring sits in a narrow band ``[x - width/2, x + width/2]`` of the lateral membrane.
Its channels see the membrane potential ``v_rest + V_band`` [mV], where ``V_band`` is
the PNP potential (relative to the dendrite interior) averaged over the band's membrane
area, and inject their current into the band's volume, distributed in proportion to the
membrane area, carried by one species. Gating kinetics and currents come from
:mod:`spinepnp.channels` (the same functions as the NMODL mechanisms). Currents are
outward positive [nA], as in NEURON: a negative (inward) ring current adds positive
charge to the cytoplasm.
"""

from __future__ import annotations

import math

import numpy as np

from .. import channels
from ..geometry import check_positive

__all__ = ["Ring", "BoltzmannRing", "HHNaRing"]


def _conductance(gmax) -> float:
    """A ring's maximal conductance [uS], checked finite and >= 0."""
    g = float(gmax)
    if not (math.isfinite(g) and g >= 0):
        raise ValueError(f"gmax = {gmax!r} uS must be finite and >= 0")
    return g


class Ring:
    """Base class: position, band width and carried species of a ring.

    Parameters
    ----------
    x : float
        Centre of the band [um from the dendrite end].
    width : float
        Width of the band along the axis [um].
    species : str or None
        Name of the species carrying the ring current (None: the injected carrier).
    """

    n_states = 0
    state_names: tuple = ()

    def __init__(self, x: float, width: float = 0.02, species=None):
        try:
            self.x = float(x)
        except (TypeError, ValueError):
            raise ValueError(f"ring position x = {x!r} is not a number [um]") from None
        if not math.isfinite(self.x):
            raise ValueError(f"ring position x = {x!r} um must be finite")
        self.width = check_positive("ring width", width, "um")
        self.species = species

    # --- gating: linear ODEs ds/dt = alpha (1 - s) - beta s --------------------------
    def rates(self, vm):
        """Opening and closing rates [1/ms] of every gate at ``vm`` [mV]."""
        return np.empty(0), np.empty(0)

    def steady_states(self, vm):
        """Gating states at steady state at membrane potential ``vm`` [mV]."""
        a, b = self.rates(vm)
        return a / (a + b)

    def implicit_states(self, vm, hist, a0):
        """States solving ``a0 s + hist = alpha (1 - s) - beta s`` (one BDF step).

        ``a0`` [1/ms] and ``hist`` [1/ms] are the BDF coefficient and history term.
        """
        a, b = self.rates(vm)
        return (a - hist) / (a0 + a + b)

    def current(self, vm, states):
        """Ring current [nA], outward positive, at ``vm`` [mV] with gating ``states``."""
        raise NotImplementedError


class BoltzmannRing(Ring):
    """Instantaneous Boltzmann-activated ring (the paper's Fig 3 inset).

    ``I = gmax (vm - erev) / (1 + exp(-(vm - vhalf)/slope))`` via
    :func:`spinepnp.channels.boltzmann_current`.

    Parameters
    ----------
    x : float
        Centre of the band [um].
    gmax : float
        Total maximal conductance of the ring [uS].
    erev : float
        Reversal potential [mV].
    vhalf : float
        Half-activation membrane potential [mV].
    slope : float
        Slope factor [mV], > 0.
    width : float
        Band width [um].
    species : str or None
        Carried species (None: the injected carrier).
    """

    def __init__(self, x, gmax, erev, vhalf, slope, width=0.02, species=None):
        super().__init__(x, width, species)
        self.gmax, self.erev = _conductance(gmax), float(erev)
        self.vhalf = float(vhalf)
        self.slope = check_positive("slope", slope, "mV")

    def current(self, vm, states):
        return float(channels.boltzmann_current(vm, self.gmax, self.erev, self.vhalf,
                                                self.slope))

    def __repr__(self):
        return (f"BoltzmannRing(x={self.x}, gmax={self.gmax}, erev={self.erev}, "
                f"vhalf={self.vhalf}, slope={self.slope}, width={self.width})")


class HHNaRing(Ring):
    """Hodgkin-Huxley sodium ring, ``I = gmax m^3 h (vm - erev)``.

    Rates from :mod:`spinepnp.channels` (the summary's eq 13, corrected as in
    the errata of docs/guide/laws.rst). States ``m`` and ``h`` are advanced implicitly with the PNP unknowns.

    Parameters
    ----------
    x : float
        Centre of the band [um].
    gmax : float
        Total maximal conductance of the ring [uS].
    erev : float
        Na reversal potential [mV].
    width : float
        Band width [um].
    species : str or None
        Carried species (None: the injected carrier; normally ``"na"``).
    ah0 : float
        alpha_h prefactor [1/ms] (the summary's 0.06 by default).
    """

    n_states = 2
    state_names = ("m", "h")

    def __init__(self, x, gmax, erev=50.0, width=0.02, species=None,
                 ah0=channels.AH0_SUMMARY):
        super().__init__(x, width, species)
        self.gmax, self.erev = _conductance(gmax), float(erev)
        self.ah0 = float(ah0)

    def rates(self, vm):
        a = np.array([channels.alpha_m(vm), channels.alpha_h(vm, self.ah0)], dtype=float)
        b = np.array([channels.beta_m(vm), channels.beta_h(vm)], dtype=float)
        return a, b

    def current(self, vm, states):
        return float(channels.hh_na_current(vm, states[0], states[1], self.gmax,
                                            self.erev))

    def __repr__(self):
        return (f"HHNaRing(x={self.x}, gmax={self.gmax}, erev={self.erev}, "
                f"width={self.width})")
