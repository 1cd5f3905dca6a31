"""Result objects of the PNP solver (NEURON units: um, mV, mM, nA, ms, MOhm)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..constants import debye_length as _debye_length

__all__ = ["SteadySolution", "TransientSolution", "IVCurve", "bulk_head_potential"]


def _neutrality_error(c: dict, z: dict):
    charge = sum(z[k] * c[k] for k in c)
    total = sum(abs(z[k]) * c[k] for k in c)
    return np.abs(charge) / np.maximum(total, 1e-300)


def bulk_head_potential(x, v, c: dict, z: dict, celsius: float,
                        multiples=(10.0, 15.0, 20.0), gamma=None,
                        carrier_sign: int = 1) -> float:
    """Head-end potential of the bulk solution, extrapolated through the Debye layer [mV].

    The potential is read at distances ``multiples`` x (local Debye length) from the
    head end, where the Debye layer's influence has decayed (exp(-10) ~ 5e-5 of it),
    and extrapolated to the head end. The extrapolation uses the variables in which the
    electroneutral neck is linear: ``w = exp(s V/VT)`` (``s`` the carrier's sign) as a
    quadratic function of ``gamma(x) = int dx/S`` (so only deviations from the law are
    extrapolated, not the law's own steep curvature near saturation). Without
    ``gamma`` it falls back to a quadratic of V in x. The local Debye length uses the
    ionic strength at 20 Debye lengths from the end.

    Parameters
    ----------
    x : ndarray
        Node positions [um].
    v : ndarray
        Potential [mV].
    c : dict of ndarray
        Concentrations [mM] per species.
    z : dict of int
        Valences per species.
    celsius : float
        Temperature [degC].
    multiples : sequence of 3 float
        Distances from the head end in local Debye lengths.
    gamma : ndarray or None
        ``gamma_at(x)`` at the nodes [1/um].
    carrier_sign : int
        Sign of the carrier's valence.
    """
    L = float(x[-1])
    ionic = 0.5 * sum(z[k] ** 2 * c[k] for k in c)
    lam0 = _debye_length(float(max(ionic[-1], 1e-12)), celsius)
    # ionic strength at ~20 local Debye lengths (iterate once: it changes slowly)
    xi = max(L - max(multiples) * lam0, 0.5 * L)
    ion_i = float(np.interp(xi, x, ionic))
    lam = _debye_length(max(ion_i, 1e-12), celsius)
    d = np.asarray(multiples, dtype=float) * lam
    if d.max() > 0.5 * L:
        raise ValueError("domain too short compared with the Debye length to separate "
                         "the bulk from the head-end layer")
    xs = L - d
    vs = np.interp(xs, x, v)
    if gamma is None:
        return float(np.polyfit(d, vs, 2)[-1])
    from ..constants import thermal_voltage
    vt = thermal_voltage(celsius)
    sgn = 1.0 if carrier_sign >= 0 else -1.0
    gs = np.interp(xs, x, gamma)
    g_end = float(gamma[-1])
    w = np.exp(sgn * vs / vt)
    coef = np.polyfit(gs - g_end, w, 2)
    w_end = float(coef[-1])
    if not w_end > 0:
        return float(np.polyfit(d, vs, 2)[-1])
    return float(sgn * vt * np.log(w_end))


@dataclass
class SteadySolution:
    """Steady PNP state.

    Attributes
    ----------
    x : ndarray
        Node positions [um] from the dendrite end.
    v : ndarray
        Potential [mV], 0 at the dendrite end.
    c : dict of str -> ndarray
        Concentration per species [mM].
    current : float
        Injected current [nA] (positive into the head).
    z : dict of str -> int
        Valence per species.
    carrier : str
        Species carrying the injected current.
    celsius : float
        Temperature [degC].
    vt : float
        Thermal voltage [mV].
    debye_length : float
        Debye length of the bulk (dendrite-end) solution [um].
    head_bc : str
        Potential condition used at the head end.
    iterations : int
        Newton iterations of the final solve.
    residuals : list of float
        Scaled residual history of the final solve.
    ring_vm : ndarray
        Band-averaged membrane potential of every ring [mV].
    ring_current : ndarray
        Current of every ring [nA], outward positive.
    state : ndarray
        Scaled solver state (for warm starts).
    gamma : ndarray
        ``gamma_at(x)`` of the domain at the nodes [1/um].
    """

    x: np.ndarray
    v: np.ndarray
    c: dict
    current: float
    z: dict
    carrier: str
    celsius: float
    vt: float
    debye_length: float
    head_bc: str = "insulating"
    iterations: int = 0
    residuals: list = field(default_factory=list)
    ring_vm: np.ndarray = field(default_factory=lambda: np.empty(0))
    ring_current: np.ndarray = field(default_factory=lambda: np.empty(0))
    state: np.ndarray = field(default=None, repr=False)
    gamma: np.ndarray = field(default=None, repr=False)

    @property
    def head_potential(self) -> float:
        """Potential at the head end (inside its Debye layer, if any) [mV]."""
        return float(self.v[-1])

    @property
    def bulk_head_potential(self) -> float:
        """Bulk potential extrapolated to the head end [mV] (see
        :func:`bulk_head_potential`): the quantity the electroneutral law predicts."""
        return bulk_head_potential(self.x, self.v, self.c, self.z, self.celsius,
                                   gamma=self.gamma,
                                   carrier_sign=int(np.sign(self.z[self.carrier])))

    def resistance(self, bulk: bool = True) -> float:
        """Effective (chord) resistance head-minus-dendrite potential / current [MOhm].

        Parameters
        ----------
        bulk : bool
            Use the bulk head potential (True) or the wall value (False).

        Raises
        ------
        ValueError
            At zero current, where the chord resistance is undefined.
        """
        if self.current == 0:
            raise ValueError("the chord resistance is undefined at zero current; solve at "
                             "a small non-zero current for the Ohmic limit")
        dv = self.bulk_head_potential if bulk else self.head_potential
        return dv / self.current          # mV / nA = MOhm

    def neutrality_error(self) -> np.ndarray:
        """Relative uncompensated charge ``|sum z c| / sum |z| c`` at every node [1]."""
        return _neutrality_error(self.c, self.z)

    def non_neutral(self, threshold: float = 1e-3) -> np.ndarray:
        """Positions [um] where the relative charge imbalance exceeds ``threshold``."""
        return self.x[self.neutrality_error() > threshold]

    def potential_at(self, x):
        """Potential [mV] interpolated at positions ``x`` [um]."""
        return np.interp(x, self.x, self.v)


@dataclass
class TransientSolution:
    """Transient PNP run, sampled at the requested times.

    Attributes
    ----------
    t : ndarray
        Sample times [ms].
    x : ndarray
        Node positions [um].
    v : ndarray
        Potential [mV], shape (len(t), len(x)).
    c : dict of str -> ndarray
        Concentrations [mM] per species, each of shape (len(t), len(x)).
    current : ndarray
        Injected current at the sample times [nA].
    z : dict of str -> int
        Valence per species.
    carrier : str
        Carrier species.
    celsius : float
        Temperature [degC].
    vt : float
        Thermal voltage [mV].
    debye_length : float
        Bulk Debye length [um].
    ring_vm, ring_current : ndarray
        Ring membrane potentials [mV] and currents [nA], shape (len(t), n_rings).
    n_steps, n_rejected, n_newton : int
        Accepted and rejected time steps, and Newton iterations in all.
    dt_min, dt_max : float
        Smallest and largest accepted step [ms].
    gamma : ndarray
        ``gamma_at(x)`` of the domain at the nodes [1/um].
    """

    t: np.ndarray
    x: np.ndarray
    v: np.ndarray
    c: dict
    current: np.ndarray
    z: dict
    carrier: str
    celsius: float
    vt: float
    debye_length: float
    head_bc: str = "insulating"
    ring_vm: np.ndarray = None
    ring_current: np.ndarray = None
    n_steps: int = 0
    n_rejected: int = 0
    n_newton: int = 0
    dt_min: float = float("nan")
    dt_max: float = float("nan")
    gamma: np.ndarray = field(default=None, repr=False)

    @property
    def head_potential(self) -> np.ndarray:
        """Potential at the head end at every sample time [mV]."""
        return self.v[:, -1]

    @property
    def max_potential(self) -> np.ndarray:
        """Maximum of the potential over the domain at every sample [mV] (the paper's
        Fig 3 Delta V(t))."""
        return self.v.max(axis=1)

    def snapshot(self, k: int) -> SteadySolution:
        """Sample ``k`` as a :class:`SteadySolution`-like object (for plots, helpers)."""
        return SteadySolution(x=self.x, v=self.v[k], c={s: a[k] for s, a in self.c.items()},
                              current=float(self.current[k]), z=self.z,
                              carrier=self.carrier, celsius=self.celsius, vt=self.vt,
                              debye_length=self.debye_length, head_bc=self.head_bc,
                              gamma=self.gamma)

    def bulk_head_potential(self) -> np.ndarray:
        """Bulk head-end potential at every sample [mV] (see :func:`bulk_head_potential`)."""
        return np.array([self.snapshot(k).bulk_head_potential for k in range(len(self.t))])

    def neutrality_error(self) -> np.ndarray:
        """Relative charge imbalance, shape (len(t), len(x)) [1]."""
        return _neutrality_error(self.c, self.z)


@dataclass
class IVCurve:
    """Steady current-voltage sweep.

    Attributes
    ----------
    current : ndarray
        Injected currents [nA] (in the order requested).
    v_head : ndarray
        Head-end (wall) potential [mV].
    v_bulk : ndarray
        Bulk head-end potential [mV] (what the electroneutral law predicts).
    iterations : ndarray
        Newton iterations per current.
    elapsed : float
        Wall-clock time of the sweep [s].
    solutions : list of SteadySolution or None
        Full solutions, if kept.
    """

    current: np.ndarray
    v_head: np.ndarray
    v_bulk: np.ndarray
    iterations: np.ndarray
    elapsed: float
    solutions: list = None

    @property
    def resistance(self) -> np.ndarray:
        """Chord resistance v_bulk / current [MOhm] (NaN at zero current)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.current != 0, self.v_bulk / self.current, np.nan)
