"""Gating kinetics shared by the NMODL mechanisms and the PNP solver's ring sources.

One definition of every rate function in Python. ``mechanisms/*.mod`` implement the same
formulas, and the tests check the two agree. Voltages are membrane potentials [mV],
rates are [1/ms], currents [nA], conductances [uS].

Sodium gating of the biophysics summary (Latham, eq 13), corrected as in the errata of
docs/guide/laws.rst:

- alpha_m(V) = 0.1 (V + 40) / (1 - exp(-0.1 (V + 40)))  (a quotient, as in Dayan &
  Abbott; the summary prints a product),
- beta_m(V)  = 4 exp(-0.0556 (V + 65)),
- alpha_h(V) = ah0 exp(-0.05 (V + 65)) with ah0 = 0.06 by default (the summary's value;
  Dayan & Abbott use 0.07),
- beta_h(V)  = 1 / (1 + exp(-0.1 (V + 35))).

The instantaneous Boltzmann ring of the paper's Fig 3 inset:
``I_VC(V) = gmax (V - erev) / (1 + exp(-(V - vhalf) / slope))`` (outward positive).
"""

from __future__ import annotations

import numpy as np

__all__ = ["AH0_SUMMARY", "AH0_DAYAN_ABBOTT", "alpha_m", "beta_m", "alpha_h", "beta_h",
           "m_inf", "h_inf", "tau_m", "tau_h", "boltzmann", "boltzmann_current",
           "hh_na_current"]

AH0_SUMMARY = 0.06       # 1/ms : alpha_h prefactor printed in the summary (eq 13a)
AH0_DAYAN_ABBOTT = 0.07  # 1/ms : Dayan & Abbott's value


def _exprel(x):
    """x / (1 - exp(-x)), continuous at x = 0 (value 1)."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-6
    xs = np.where(small, 1.0, x)
    out = xs / -np.expm1(-xs)
    return np.where(small, 1.0 + 0.5 * x, out)


def alpha_m(v):
    """Na activation opening rate [1/ms] at membrane potential ``v`` [mV]."""
    return _exprel(0.1 * (np.asarray(v, dtype=float) + 40.0))


def beta_m(v):
    """Na activation closing rate [1/ms]."""
    return 4.0 * np.exp(-0.0556 * (np.asarray(v, dtype=float) + 65.0))


def alpha_h(v, ah0: float = AH0_SUMMARY):
    """Na inactivation recovery rate [1/ms]; ``ah0`` [1/ms] as in the summary."""
    return ah0 * np.exp(-0.05 * (np.asarray(v, dtype=float) + 65.0))


def beta_h(v):
    """Na inactivation rate [1/ms]."""
    return 1.0 / (1.0 + np.exp(-0.1 * (np.asarray(v, dtype=float) + 35.0)))


def m_inf(v):
    """Steady-state Na activation (summary eq 13b, corrected)."""
    a, b = alpha_m(v), beta_m(v)
    return a / (a + b)


def h_inf(v, ah0: float = AH0_SUMMARY):
    """Steady-state Na inactivation (summary eq 13a)."""
    a, b = alpha_h(v, ah0), beta_h(v)
    return a / (a + b)


def tau_m(v):
    """Na activation time constant [ms] (summary eq 8a)."""
    return 1.0 / (alpha_m(v) + beta_m(v))


def tau_h(v, ah0: float = AH0_SUMMARY):
    """Na inactivation time constant [ms] (summary eq 8a)."""
    return 1.0 / (alpha_h(v, ah0) + beta_h(v))


def boltzmann(v, vhalf: float, slope: float):
    """Boltzmann activation 1 / (1 + exp(-(v - vhalf)/slope)); ``slope`` [mV] > 0."""
    x = -(np.asarray(v, dtype=float) - vhalf) / slope
    return 0.5 * (1.0 - np.tanh(0.5 * x))   # overflow-free form of 1/(1+exp(x))


def boltzmann_current(v, gmax: float, erev: float, vhalf: float, slope: float):
    """Instantaneous ring current [nA], outward positive; ``gmax`` [uS], volts [mV]."""
    v = np.asarray(v, dtype=float)
    return gmax * boltzmann(v, vhalf, slope) * (v - erev)


def hh_na_current(v, m, h, gmax: float, erev: float):
    """HH sodium ring current gmax m^3 h (v - erev) [nA], outward positive."""
    return gmax * np.asarray(m) ** 3 * np.asarray(h) * (np.asarray(v, dtype=float) - erev)
