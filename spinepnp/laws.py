"""Analytic electro-diffusion laws of the spine neck, corrected, plus the general form.

Source: the electro-diffusion I-V paper ("the paper"; docs/guide/laws.rst, section
"Sources"), equations as numbered there, with the corrections of that page's section
"Errata" applied:

- paper eq 14 lacks the 1/I factor: R(I) = (kT / (I e)) ln(...);
- paper eq 16/18 mix x and z: the hyperboloid law is in z;
- paper Table I: kT/e is 25.26 mV (not V) at 20 degC.

Every law below is a special case of the electroneutral steady state of a binary
electrolyte in a neck of any cross-section S(x) (anions at Boltzmann equilibrium, the
injected carrier carrying all the current)::

    V(x) - V(0) = VT ln(1 + I gamma(x) / (2 C D F)),   gamma(x) = int_0^x dx'/S(x')

and its inverse ``I(dV) = I_s (exp(dV/VT) - 1)`` with ``I_s = 2 C D F / Gamma = VT/R0``.

Sign convention of saturation currents, the same everywhere in spinepnp (here,
:func:`spinepnp.pnp.saturation_current`, SpnpSpine's ``isat``): a saturation current is
a size, ``I_sat >= 0`` [nA], the largest current of the carrier that can be drawn out of
the head in steady state. A steady current ``I`` (positive into the head) of a carrier of
valence ``z`` exists only for ``z I > -I_sat`` (``I > -I_sat`` for a cation).

Units (NEURON's): current nA (positive = positive charge entering the head and flowing
through the neck to the dendrite), voltage mV (head minus dendrite), resistance MOhm,
concentration mM, diffusion coefficient um2/ms, lengths um, temperature degC.
Importing this module does not import NEURON or matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .constants import DEFAULT_RA, FARADAY, MM, MOHM, NA, OHM_CM, UM, UM2_PER_MS, thermal_voltage
from .geometry import Cylinder, Hyperboloid, Neck, Profile, ball_and_neck, check_positive

__all__ = [
    "Cylinder", "Hyperboloid", "Profile", "ball_and_neck", "thermal_voltage",
    "delta_v", "resistance", "current", "ohmic_resistance", "saturation_current",
    "potential", "concentration", "cable_resistance",
    "MultiSpeciesProfile", "multispecies_profile", "multispecies_delta_v",
    "multispecies_saturation_current",
]


def _gamma(neck) -> float:
    g = getattr(neck, "gamma", None)
    if g is None:
        raise ValueError(f"neck = {neck!r} is not a neck geometry: use spinepnp.laws."
                         "Cylinder, Hyperboloid or Profile (anything with a .gamma in 1/um)")
    return check_positive("neck.gamma", g, "1/um")


def _i_s(neck, conc, diffusion) -> float:
    """Saturation current 2 C D F / Gamma [nA]."""
    c = check_positive("conc", conc, "mM")
    d = check_positive("diffusion", diffusion, "um2/ms")
    gamma_si = _gamma(neck) / UM                     # 1/m
    return 2.0 * c * MM * d * UM2_PER_MS * FARADAY / gamma_si / NA


def _vt(celsius) -> float:
    try:
        c = float(celsius)
    except (TypeError, ValueError):
        raise ValueError(f"celsius = {celsius!r} is not a number (degrees Celsius)") from None
    if not math.isfinite(c):
        raise ValueError(f"celsius = {celsius!r} must be finite (degrees Celsius)")
    return thermal_voltage(c)


def _array(name, value, unit):
    a = np.asarray(value, dtype=float)
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} contains NaN; give finite values in {unit}")
    return a


def _out(a, like):
    return float(a) if np.ndim(like) == 0 else a


def _check_above(i, i_min, what):
    bad = ~(i > i_min)
    if np.any(bad):
        worst = float(np.min(np.where(bad, i, np.inf)))
        raise ValueError(
            f"current {worst:g} nA is at or beyond saturation: {what} cannot carry more "
            f"than {-i_min:g} nA out of the head (the head runs out of carriers, no "
            f"steady state exists). Use currents > {i_min:g} nA, or spinepnp.laws.current "
            "to get the current for a given voltage")
    if np.any(np.isinf(i)):
        raise ValueError("current must be finite [nA]")


def saturation_current(neck, conc: float = 167.0, diffusion: float = 1.33,
                       celsius: float = 20.0) -> float:
    """Size of the largest current that can be drawn out of the head [nA].

    ``I_s = 2 C D F / Gamma`` (the law's inverse form saturates at ``-I_s``). It does not
    depend on temperature; ``celsius`` is accepted for a uniform signature.

    Parameters
    ----------
    neck : Cylinder, Hyperboloid or Profile
        Neck geometry.
    conc : float
        Bulk salt concentration C at the dendrite end [mM].
    diffusion : float
        Diffusion coefficient of the injected carrier [um2/ms].
    celsius : float
        Temperature [degC] (checked, unused).
    """
    _vt(celsius)
    return _i_s(neck, conc, diffusion)


def ohmic_resistance(neck, conc: float = 167.0, diffusion: float = 1.33,
                     celsius: float = 20.0) -> float:
    """Small-signal (Ohmic) neck resistance ``R0 = VT Gamma / (2 C D F)`` [MOhm] (eq 7).

    Parameters as in :func:`saturation_current`.
    """
    return _vt(celsius) / _i_s(neck, conc, diffusion)   # mV / nA = MOhm


def cable_resistance(neck, ra: float = DEFAULT_RA) -> float:
    """Neck resistance of the classical Ohmic cable, ``Ra * Gamma`` [MOhm].

    For a cylinder this is NEURON's ``4 Ra L / (pi d^2)``.

    Parameters
    ----------
    neck : Cylinder, Hyperboloid or Profile
        Neck geometry.
    ra : float
        Cytoplasmic resistivity [Ohm cm] (NEURON's ``Ra``; users typically set 100-200; default
        :data:`spinepnp.constants.DEFAULT_RA`).
    """
    ra = check_positive("ra", ra, "Ohm cm")
    return ra * OHM_CM * _gamma(neck) / UM / MOHM


def delta_v(current, neck, conc: float = 167.0, diffusion: float = 1.33,
            celsius: float = 20.0):
    """Head minus dendrite potential [mV] for a steady current injected into the head.

    ``dV = VT ln(1 + I Gamma / (2 C D F))`` (paper eq 5 at x = L for a cylinder, eq 18
    for a hyperboloid, and the general-profile form for any ``Profile``).

    Parameters
    ----------
    current : float or array_like
        Injected current I [nA], positive = into the head; must exceed ``-I_s``.
    neck : Cylinder, Hyperboloid or Profile
        Neck geometry.
    conc : float
        Bulk concentration C at the dendrite end [mM].
    diffusion : float
        Diffusion coefficient of the carrier [um2/ms].
    celsius : float
        Temperature [degC]; VT = kT/e (25.26 mV at 20 degC).

    Raises
    ------
    ValueError
        For NaN, a current at or beyond ``-I_s``, or invalid parameters.
    """
    i = _array("current", current, "nA")
    i_s = _i_s(neck, conc, diffusion)
    vt = _vt(celsius)
    _check_above(i, -i_s, "the neck")
    return _out(vt * np.log1p(i / i_s), current)


def resistance(current, neck, conc: float = 167.0, diffusion: float = 1.33,
               celsius: float = 20.0):
    """Chord resistance ``R(I) = dV / I`` [MOhm] (paper eq 6, eq 14 corrected, eq 18).

    At ``I = 0`` it returns the limit, the Ohmic ``R0`` (eq 7). Parameters as in
    :func:`delta_v`; there is no value for ``I <= -I_s`` (ValueError).
    """
    i = _array("current", current, "nA")
    i_s = _i_s(neck, conc, diffusion)
    vt = _vt(celsius)
    _check_above(i, -i_s, "the neck")
    y = i / i_s
    small = np.abs(y) < 1e-8
    ys = np.where(small, 1.0, y)
    ratio = np.where(small, 1.0 - 0.5 * y, np.log1p(ys) / ys)   # log1p(y)/y, series at 0
    return _out(vt / i_s * ratio, current)


def current(dv, neck, conc: float = 167.0, diffusion: float = 1.33,
            celsius: float = 20.0):
    """Inverse law: steady neck current [nA] for a head-minus-dendrite voltage ``dv`` [mV].

    ``I = I_s (exp(dv/VT) - 1)``, defined for every real ``dv``; it saturates at
    ``-I_s`` as ``dv -> -inf``. Parameters as in :func:`delta_v`.

    Raises
    ------
    ValueError
        For NaN, or a ``dv`` so large that the current overflows a float (> ~700 VT).
    """
    v = _array("dv", dv, "mV")
    i_s = _i_s(neck, conc, diffusion)
    vt = _vt(celsius)
    limit = vt * (math.log(np.finfo(float).max) - math.log(2.0 * i_s))
    if np.any(v > limit):
        raise ValueError(f"dv = {float(np.max(v)):g} mV overflows the current "
                         f"(exp(dv/VT) with VT = {vt:.4g} mV); use dv < {limit:.4g} mV")
    return _out(i_s * np.expm1(v / vt), dv)


def potential(x, current, neck, conc: float = 167.0, diffusion: float = 1.33,
              celsius: float = 20.0):
    """Steady potential V(x) - V(0) [mV] along the neck (eq 5, 13, 18 and general form).

    Parameters
    ----------
    x : float or array_like
        Axial position from the dendrite end [um], in ``[0, neck.length]``.
    current : float
        Injected current [nA] (scalar).
    Other parameters as in :func:`delta_v`.
    """
    w = _w(x, current, neck, conc, diffusion)
    return _out(_vt(celsius) * np.log(w), x)


def concentration(x, current, neck, conc: float = 167.0, diffusion: float = 1.33,
                  celsius: float = 20.0):
    """Steady salt concentration c(x) = C exp(u(x)) [mM] (electroneutral, eq 4-5).

    Cation and anion concentrations are equal; parameters as in :func:`potential`.
    """
    _vt(celsius)
    return _out(check_positive("conc", conc, "mM") *
                _w(x, current, neck, conc, diffusion), x)


def _w(x, current, neck, conc, diffusion):
    i = float(_array("current", current, "nA"))
    i_s = _i_s(neck, conc, diffusion)
    _check_above(np.asarray(i), -i_s, "the neck")
    xa = _array("x", x, "um")
    return 1.0 + i * np.asarray(neck.gamma_at(xa)) / (_gamma(neck) * i_s)


# --------------------------------------------------------------------------------------
# Several monovalent species (paper eq 8-14): Na carries the current, K and the anion
# sit at Boltzmann equilibrium (no flux), electroneutral: c_A = c_Na + c_K.
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MultiSpeciesProfile:
    """Steady profiles along the neck for Na-carried current with K present.

    Attributes
    ----------
    x : ndarray
        Positions from the dendrite end [um].
    v : ndarray
        Potential relative to the dendrite end [mV] (eq 13).
    c_na, c_k, c_a : ndarray
        Na (eq 12), K and anion (Boltzmann) concentrations [mM].
    """

    x: np.ndarray
    v: np.ndarray
    c_na: np.ndarray
    c_k: np.ndarray
    c_a: np.ndarray


def _multi_check(c_na, c_k):
    c_na = check_positive("c_na", c_na, "mM")
    try:
        c_k = float(c_k)
    except (TypeError, ValueError):
        raise ValueError(f"c_k = {c_k!r} is not a number [mM]") from None
    if not (math.isfinite(c_k) and c_k >= 0):
        raise ValueError(f"c_k = {c_k!r} mM must be finite and >= 0")
    return c_na, c_k


def multispecies_saturation_current(neck, c_na: float = 12.0, c_k: float = 155.0,
                                    diffusion: float = 1.33, celsius: float = 20.0) -> float:
    """Size of the largest Na-carried current that can leave the head [nA].

    Na runs out at the head end before the total salt does: with
    ``w = exp(u)``, ``c_Na = C_A w - C_K / w`` vanishes at ``w = sqrt(C_K / C_A)``, so
    ``I_sat = 2 D_Na F (C_A - sqrt(C_A C_K)) / Gamma`` with ``C_A = C_Na + C_K``.
    Without K it is the two-species value ``2 C D F / Gamma``.

    Parameters
    ----------
    neck : Cylinder, Hyperboloid or Profile
        Neck geometry.
    c_na, c_k : float
        Bulk Na and K at the dendrite end [mM]; the anion balances them.
    diffusion : float
        Na diffusion coefficient [um2/ms].
    celsius : float
        Temperature [degC] (checked, unused).
    """
    c_na, c_k = _multi_check(c_na, c_k)
    c_a = c_na + c_k
    return saturation_current(neck, c_a, diffusion, celsius) * \
        (1.0 - math.sqrt(c_k / c_a))


def multispecies_delta_v(current, neck, c_na: float = 12.0, c_k: float = 155.0,
                         diffusion: float = 1.33, celsius: float = 20.0):
    """Head minus dendrite potential [mV] with Na carrying the current (eq 13).

    The voltage depends only on the total anion concentration and on D_Na; the current
    must exceed ``-multispecies_saturation_current``.
    """
    i = _array("current", current, "nA")
    c_na, c_k = _multi_check(c_na, c_k)
    _check_above(i, -multispecies_saturation_current(neck, c_na, c_k, diffusion, celsius),
                 "sodium (the carrier)")
    return delta_v(current, neck, c_na + c_k, diffusion, celsius)


def multispecies_profile(x, current: float, neck, c_na: float = 12.0,
                         c_k: float = 155.0, diffusion: float = 1.33,
                         celsius: float = 20.0) -> MultiSpeciesProfile:
    """Potential and Na, K, anion profiles along the neck (paper eq 10-13, general S(x)).

    ``w(x) = 1 + I gamma(x) / (2 C_A D_Na F)``; ``V = VT ln w``; ``c_A = C_A w``;
    ``c_K = C_K / w``; ``c_Na = C_A w - C_K / w`` (eq 12 for a cylinder).

    Parameters
    ----------
    x : array_like
        Positions from the dendrite end [um].
    current : float
        Na current injected into the head [nA].
    neck, c_na, c_k, diffusion, celsius
        As in :func:`multispecies_saturation_current`.
    """
    c_na, c_k = _multi_check(c_na, c_k)
    i = float(_array("current", current, "nA"))
    _check_above(np.asarray(i),
                 -multispecies_saturation_current(neck, c_na, c_k, diffusion, celsius),
                 "sodium (the carrier)")
    c_a = c_na + c_k
    xa = np.atleast_1d(_array("x", x, "um"))
    w = 1.0 + i * np.asarray(neck.gamma_at(xa)) / (_gamma(neck) *
                                                   _i_s(neck, c_a, diffusion))
    return MultiSpeciesProfile(x=xa, v=_vt(celsius) * np.log(w), c_na=c_a * w - c_k / w,
                               c_k=c_k / w, c_a=c_a * w)
