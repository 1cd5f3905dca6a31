"""The reduced two-variable sodium model of the biophysics summary (Latham, eq 12-13).

The Hodgkin-Huxley model without potassium and with instantaneous sodium activation:

    tau dV/dt    = -(V - E_L) - rho_Na m_inf(V)^3 h (V - E_Na) + V0        (12a)
    tau_h(V) dh/dt = h_inf(V) - h                                           (12b)

with tau = C/g_L, rho_Na = g_Na/g_L, and the rate functions of eq 13 as corrected in
the errata of docs/guide/laws.rst (alpha_m a quotient; alpha_h prefactor ``ah0`` = 0.06 1/ms, the summary's value,
where Dayan & Abbott use 0.07). The rate functions come from :mod:`spinepnp.channels`,
the single definition shared with the NMODL mechanisms.

The same model runs in NEURON as the density mechanism ``SpnpRHH``
(``mechanisms/SpnpRHH.mod``): in one compartment with only that mechanism and specific
capacitance ``cm``, it integrates eq 12 with tau = cm/gl, rho_Na = gnabar/gl, and the
drive V0 supplied as the current density -gl*V0 (so V0 keeps the unit mV of eq 12a).
:func:`density_parameters` converts (tau, rho_Na, cm) to the mechanism's conductances.

Units: V, E_L, E_Na, V0 [mV]; t, tau [ms]; h [1]; dV/dt [mV/ms]; dh/dt [1/ms].
Nothing here imports NEURON.

Notes on the summary's Fig 2 (computed with the corrected rates and its parameters,
E_L = -70 mV, E_Na = 50 mV, rho_Na = 400):

- Without potassium the model is bistable for drives -184 mV < V0 < 1.2 mV (see
  :func:`saddle_node_drives`): a stable resting state near E_L, a saddle (the threshold)
  and a stable depolarised state near -6 mV (depolarisation block). A supra-threshold
  kick gives one spike to ~+49 mV and then block, not a return to rest. Above
  V0 = 1.2 mV the resting state is gone and the cell fires by itself.
- Sign of V0: with eq 12a as printed (+V0 on the right-hand side, so V0 > 0
  depolarises, as a drive should), the V-nullcline h = (V0 - (V - E_L)) /
  (rho_Na m_inf^3 (V - E_Na)) for V0 = -2 lies ABOVE the one for V0 = 0 everywhere on
  (E_L, E_Na). The caption of Fig 2 calls the V0 = -2 curve the lower one: the figure
  was evidently drawn with the opposite sign of V0 (its "lower curve" is eq 12a's
  V0 = +2, past the saddle-node, where the nullclines no longer cross near rest). This
  module implements eq 12a as printed.
- The summary's eq 13b (alpha_m printed as a product) would give m_inf ~ 1 at rest; the
  quotient (Dayan & Abbott) is used, as the errata of docs/guide/laws.rst say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.constants as sc
from scipy.optimize import brentq, minimize_scalar

from . import channels
from .constants import MS

__all__ = ["EL", "ENA", "RHO_NA", "TAU", "V0_NULLCLINES", "FixedPoint", "rhs", "v_nullcline",
           "h_nullcline", "nullclines", "fixed_points", "jacobian",
           "saddle_node_drives", "density_parameters"]

EL = -70.0        # mV : leak reversal potential E_L (summary, Fig 2)
ENA = 50.0        # mV : sodium reversal potential E_Na (summary, Fig 2)
RHO_NA = 400.0    # 1 : rho_Na = g_Na / g_L (summary eq 11b)
TAU = 10.0        # ms : membrane time constant tau = C / g_L (summary eq 11a)
# mV : the two drives of the summary's Fig 2, drawn by `spinepnp compare nullclines`
# (`spinepnp compare fig2` is the electro-diffusion paper's Fig 2)
V0_NULLCLINES = (0.0, -2.0)

_UF = sc.micro    # F per uF (NEURON's unit of specific capacitance is uF/cm2)


def _params(el, ena, rho_na, tau, ah0):
    if not tau > 0:
        raise ValueError(f"tau = {tau!r} ms must be positive")
    if not rho_na >= 0:
        raise ValueError(f"rho_na = {rho_na!r} must be non-negative")
    if not ah0 > 0:
        raise ValueError(f"ah0 = {ah0!r} 1/ms must be positive")
    return float(el), float(ena), float(rho_na), float(tau), float(ah0)


def rhs(v, h, v0: float = 0.0, *, el: float = EL, ena: float = ENA,
        rho_na: float = RHO_NA, tau: float = TAU, ah0: float = channels.AH0_SUMMARY):
    """Right-hand side of eq 12: ``(dV/dt, dh/dt)``.

    Parameters
    ----------
    v : array_like
        Membrane potential V [mV].
    h : array_like
        Sodium inactivation h [1].
    v0 : float
        External drive V0 [mV] (eq 12a).
    el, ena : float
        Leak and sodium reversal potentials E_L, E_Na [mV].
    rho_na : float
        g_Na / g_L [1].
    tau : float
        C / g_L [ms].
    ah0 : float
        Prefactor of alpha_h [1/ms] (summary 0.06, Dayan & Abbott 0.07).

    Returns
    -------
    (ndarray, ndarray)
        dV/dt [mV/ms] and dh/dt [1/ms].
    """
    el, ena, rho_na, tau, ah0 = _params(el, ena, rho_na, tau, ah0)
    v = np.asarray(v, dtype=float)
    h = np.asarray(h, dtype=float)
    m3 = channels.m_inf(v) ** 3
    dv = (-(v - el) - rho_na * m3 * h * (v - ena) + v0) / tau
    dh = (channels.h_inf(v, ah0) - h) / channels.tau_h(v, ah0)
    return dv, dh


def v_nullcline(v, v0: float = 0.0, *, el: float = EL, ena: float = ENA,
                rho_na: float = RHO_NA):
    """The V-nullcline h(V) on which dV/dt = 0 (eq 12a).

    ``h = (V0 - (V - E_L)) / (rho_Na m_inf(V)^3 (V - E_Na))``. It does not depend on tau
    or ah0. At V = E_Na (and where m_inf^3 underflows to 0) it is undefined and NaN is
    returned there; negative values (V below E_L + V0) are returned as they are.

    Parameters
    ----------
    v : array_like
        Membrane potential V [mV].
    v0, el, ena, rho_na
        As in :func:`rhs`.

    Returns
    -------
    ndarray
        h [1] on the V-nullcline.
    """
    v = np.asarray(v, dtype=float)
    den = rho_na * channels.m_inf(v) ** 3 * (v - ena)
    num = v0 - (v - el)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(den != 0.0, out, np.nan)


def h_nullcline(v, *, ah0: float = channels.AH0_SUMMARY):
    """The h-nullcline h = h_inf(V) (eq 12b, 13a) [1] at V [mV]."""
    return channels.h_inf(v, ah0)


def nullclines(v, v0: float = 0.0, *, el: float = EL, ena: float = ENA,
               rho_na: float = RHO_NA, ah0: float = channels.AH0_SUMMARY):
    """Both nullclines of eq 12 on the voltage grid ``v`` [mV] (the summary's Fig 2).

    Returns
    -------
    (ndarray, ndarray)
        The V-nullcline h(V) (see :func:`v_nullcline`) and the h-nullcline h_inf(V).
    """
    return (v_nullcline(v, v0, el=el, ena=ena, rho_na=rho_na),
            h_nullcline(v, ah0=ah0))


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point of eq 12.

    Attributes
    ----------
    v : float
        Membrane potential [mV].
    h : float
        Inactivation h = h_inf(v) [1].
    eigenvalues : tuple of complex
        Eigenvalues of the Jacobian [1/ms].
    kind : str
        "stable", "saddle" or "unstable".
    """

    v: float
    h: float
    eigenvalues: tuple
    kind: str

    @property
    def stable(self) -> bool:
        return self.kind == "stable"


def jacobian(v: float, h: float, v0: float = 0.0, *, el: float = EL, ena: float = ENA,
             rho_na: float = RHO_NA, tau: float = TAU,
             ah0: float = channels.AH0_SUMMARY, dv: float = 1e-4) -> np.ndarray:
    """Jacobian of eq 12 at (v [mV], h [1]); entries in 1/ms, mV/ms and 1/(mV ms).

    The h-derivatives are exact (eq 12 is linear in h); the V-derivatives are central
    differences with step ``dv`` [mV] (truncation ~ dv^2, far below what a stability
    classification needs).
    """
    kw = dict(el=el, ena=ena, rho_na=rho_na, tau=tau, ah0=ah0)
    fp = rhs(v + dv, h, v0, **kw)
    fm = rhs(v - dv, h, v0, **kw)
    dfv_dv = (fp[0] - fm[0]) / (2 * dv)
    dfh_dv = (fp[1] - fm[1]) / (2 * dv)
    dfv_dh = -rho_na * channels.m_inf(v) ** 3 * (v - ena) / tau
    dfh_dh = -1.0 / channels.tau_h(v, ah0)
    return np.array([[dfv_dv, dfv_dh], [dfh_dv, dfh_dh]], dtype=float)


def fixed_points(v0: float = 0.0, *, el: float = EL, ena: float = ENA,
                 rho_na: float = RHO_NA, tau: float = TAU,
                 ah0: float = channels.AH0_SUMMARY, n_grid: int = 20001) -> list:
    """All fixed points of eq 12, sorted by voltage.

    On the h-nullcline h = h_inf(V) the V-equation reduces to
    F(V) = -(V - E_L) + V0 - rho_Na m_inf^3 h_inf (V - E_Na), which is positive below
    min(E_L + V0, E_Na) and negative above max(E_L + V0, E_Na); its roots in between are
    bracketed on a grid of ``n_grid`` points and refined with Brent's method to machine
    precision. (Two roots closer than the grid step, ~0.01 mV for the defaults, would be
    missed: that happens only within ~1e-4 mV of a saddle-node value of V0.)

    Returns
    -------
    list of FixedPoint
    """
    el, ena, rho_na, tau, ah0 = _params(el, ena, rho_na, tau, ah0)

    def f(v):
        return (-(v - el) + v0
                - rho_na * channels.m_inf(v) ** 3 * channels.h_inf(v, ah0) * (v - ena))

    lo = min(el + v0, ena) - 1.0
    hi = max(el + v0, ena) + 1.0
    grid = np.linspace(lo, hi, n_grid)
    vals = f(grid)
    roots = []
    for k in range(n_grid - 1):
        a, b = vals[k], vals[k + 1]
        if a == 0.0:
            roots.append(grid[k])
        elif a * b < 0.0:
            roots.append(brentq(lambda x: float(f(x)), grid[k], grid[k + 1],
                                xtol=1e-13, rtol=4 * np.finfo(float).eps))
    out = []
    for vr in roots:
        hr = float(channels.h_inf(vr, ah0))
        ev = np.linalg.eigvals(jacobian(vr, hr, v0, el=el, ena=ena, rho_na=rho_na,
                                        tau=tau, ah0=ah0))
        re = np.real(ev)
        if np.all(re < 0):
            kind = "stable"
        elif np.all(re > 0):
            kind = "unstable"
        else:
            kind = "saddle"
        out.append(FixedPoint(float(vr), hr, tuple(complex(e) for e in ev), kind))
    return out


def _drive_of(v, el, ena, rho_na, ah0):
    """The drive V0 for which V is a fixed point: F(V) = 0 <=> V0 = g(V)."""
    return (v - el) + rho_na * channels.m_inf(v) ** 3 * channels.h_inf(v, ah0) * (v - ena)


def saddle_node_drives(*, el: float = EL, ena: float = ENA, rho_na: float = RHO_NA,
                       ah0: float = channels.AH0_SUMMARY, n_grid: int = 20001) -> list:
    """Drives V0 [mV] at which fixed points of eq 12 are born or annihilate in pairs.

    V is a fixed point for the drive V0 = g(V) = (V - E_L) + rho_Na m_inf^3 h_inf (V - E_Na)
    (with h = h_inf(V)). The number of fixed points changes where V0 passes a local
    extremum of g: a saddle-node bifurcation. For the summary's parameters g has a local
    maximum near V = -65 mV (V0 ~ +1.2 mV: above it the resting state and the saddle
    vanish and only the depolarised state is left) and a local minimum near V = -35 mV
    (V0 ~ -184 mV: below it only the resting state is left); in between the model is
    bistable. The extrema are bracketed on a grid over [E_L - 30, E_Na] and refined with
    a bounded scalar minimisation (tolerance ~1e-9 mV in V, so ~1e-15 in V0).

    Returns
    -------
    list of (float, float, str)
        ``(v0_critical [mV], v_critical [mV], "max" | "min")`` sorted by voltage.
    """
    el, ena, rho_na, _, ah0 = _params(el, ena, rho_na, 1.0, ah0)
    grid = np.linspace(el - 30.0, ena, n_grid)
    g = _drive_of(grid, el, ena, rho_na, ah0)
    dg = np.diff(g)
    out = []
    for k in np.nonzero(np.sign(dg[1:]) != np.sign(dg[:-1]))[0]:
        kind = "max" if dg[k] > 0 else "min"
        sgn = -1.0 if kind == "max" else 1.0
        res = minimize_scalar(lambda x: sgn * float(_drive_of(x, el, ena, rho_na, ah0)),
                              bounds=(grid[k], grid[k + 2]), method="bounded",
                              options={"xatol": 1e-9})
        out.append((float(_drive_of(res.x, el, ena, rho_na, ah0)), float(res.x), kind))
    return out


def density_parameters(tau: float = TAU, rho_na: float = RHO_NA,
                       cm: float = 1.0) -> dict:
    """Conductance densities of ``SpnpRHH`` that reproduce eq 12 in one compartment.

    g_L = C/tau and g_Na = rho_Na g_L, converted with the declared units:
    uF/cm2 divided by ms is (1e-6 F)/(1e-3 s) per cm2 = 1e-3 S/cm2.

    Parameters
    ----------
    tau : float
        Membrane time constant C/g_L [ms].
    rho_na : float
        g_Na/g_L [1].
    cm : float
        Specific membrane capacitance [uF/cm2] (the section's ``cm``).

    Returns
    -------
    dict
        ``{"gl": g_L [S/cm2], "gnabar": g_Na [S/cm2]}``.
    """
    if not (tau > 0 and cm > 0 and rho_na >= 0):
        raise ValueError(f"need tau > 0 ms, cm > 0 uF/cm2, rho_na >= 0; got "
                         f"tau={tau!r}, cm={cm!r}, rho_na={rho_na!r}")
    gl = (cm * _UF) / (tau * MS)   # S/cm2 : (uF/cm2 -> F/cm2) / (ms -> s)
    return {"gl": gl, "gnabar": rho_na * gl}
