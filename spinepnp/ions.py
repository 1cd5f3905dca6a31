"""Electroneutral multi-species spine: the Python reference for real cytoplasm.

Physics
-------
A neck of cross-section S(x) [um2], x from the dendrite (x = 0) to the head (x = L), and a
well-mixed head of volume V_h [um3]. Mobile ions i (valence z_i, diffusion D_i [um2/ms],
concentration c_i [mM]) move by Nernst-Planck; an immobile (D = 0) anion background keeps
its concentration. With u = V/VT the flow of species i towards the head is::

    Q_i = -D_i S (dc_i/dx + z_i c_i du/dx)                         [mM um3/ms]

and the current towards the dendrite is I = -F sum_i z_i Q_i. The neck is electroneutral
(sum_i z_i c_i + z_f c_f = 0) and has no membrane, so I is the same at every x: it is the
net current entering the head through its membrane, ``I = sum_i I_i - I_pump``. Solving
the current for the field gives::

    du/dx = (I/(F S) - sum_i z_i D_i dc_i/dx) / sum_i z_i^2 D_i c_i

so, given the concentrations, the head potential is linear in I: a conductor in series
with a diffusion EMF::

    V_head - V_dend = R I + E,  R = VT int dx / (F S sigma),  sigma = sum_i z_i^2 D_i c_i,
                                E = -VT int (sum_i z_i D_i dc_i/dx) / sigma dx

The concentrations are the states::

    S dc_i/dt = -dQ_i/dx                                    (neck)
    V_h b_i dc_i/dt = Q_i(L) + I_i / (z_i F) - extrusion_i  (head)

with ``b_i = 1 + kappa`` for Ca (a fast buffer of capacity kappa: bound/free) and 1 for the
other ions, and Ca extrusion ``V_h (1 + kappa) (c_Ca - c_Ca,rest) / tau_Ca`` (tau_Ca the
decay time of free Ca). The pump moves charge out of the head, so it is part of the
head's membrane current: ``I_pump = 2 F`` times the extrusion (zero at rest). An
electroneutral start stays electroneutral: the total charge of every cell is conserved
because the current is.

Assumptions: the head has no membrane capacitance (its charging time R_neck C_head is
~1 us, so comparisons start at 10 us) and the neck no membrane; the Ca buffer sits in the
head only (neck Ca is free); the dendrite end is the potential reference.

Sign conventions and units: currents I_i [nA] > 0 carry positive charge INTO the head
(a Na current ``"na": -0.05`` takes 50 pA of Na out of the head); ``i_neck`` [nA] > 0
flows from the head to the dendrite; potentials [mV] relative to the dendrite end;
x [um], t [ms], c [mM], D [um2/ms], resistance [MOhm].

Numerics
--------
Finite volumes: ``n_cells`` cells of equal length with concentrations at their centres,
plus the dendrite end (x = 0, clamped at the bulk values, or a well-mixed compartment of
volume ``dend_volume`` for a closed system) and the head. Between neighbouring nodes j,
j+1 the link uses the exact geometric factor ``A = 1/(gamma(x_{j+1}) - gamma(x_j))`` [um]
(gamma = int dx/S) and the mean of the two concentrations; the head's link adds
``head_gamma``, the int dx/S from the neck's end to the head's centre (the junction's
access resistance). The field on each link follows from the current as above, so the
scheme is exactly linear in I and conserves every species' moles to round-off. Time
integration: scipy's BDF (``solve_ivp``) with a sparse finite-difference Jacobian,
restarted at the current waveform's breakpoints.

Release site: the head is well mixed for everything but the membrane where its currents
flow. There a species is depleted (or enriched) below the head's mean by the
quasi-steady diffusion drop of its membrane flux::

    c_site,i = c_head,i + I_i / (z_i F) * site_gamma / D_i

with ``site_gamma = int f(x)^2 dx / S(x)`` over the head from the neck junction to the
membrane, ``f`` the fraction of the head's volume between the junction and x (the flux
through x of a uniformly depleting head is ``f`` times the membrane's). It only moves the
depletion flag (for a ball head drained through a narrow cap it is most of a mM);
``site_gamma = 0`` is a membrane spread over the whole head.

Carrier depletion: the integration stops (``invalid = True``, ``t_invalid``) when any
mobile species falls to ``floor`` x its bulk value anywhere (cells, head or release
site), for example Na drawn out of the head faster than the neck resupplies it. Past
that point the model has no solution; nothing negative or NaN is returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.integrate
import scipy.optimize
import scipy.sparse

from .constants import FARADAY, MM, MS, NA, UM3, thermal_voltage
from .geometry import check_positive
from .pnp.errors import ConvergenceError
from .pnp.errors import check_positive as check_count
from .pnp.species import Species, check_species

__all__ = ["cytoplasm", "IonSpine", "IonResult", "ball_and_neck_spine", "set_cytoplasm",
           "insert_ions", "ion_spine_parameters", "ION_SPINE_D",
           "NEURON_IONS", "CYTOPLASM", "AQUEOUS_D",
           "CA_BUFFER_CAPACITY", "CA_TAU"]

#: Aqueous diffusion coefficients at 25 degC [um2/ms] (from limiting ionic
#: conductivities: CRC Handbook of Chemistry and Physics, "Ionic conductivity and
#: diffusion at infinite dilution"). They are the defaults: cytoplasm is slower (about
#: twofold for small ions), pass your own.
AQUEOUS_D = {"na": 1.33, "k": 1.96, "cl": 2.03, "ca": 0.79}

#: Default free concentrations of a mammalian neuron's cytoplasm [mM]: K 140, Na 12,
#: Cl 7, free Ca 100 nM: mid-range of the usual K 140-155, Na 10-15, Cl 5-10 mM and
#: 50-100 nM resting Ca (Hille, Ion Channels of Excitable Membranes, 3rd ed. 2001,
#: ch. 1, whose Table 1.1 gives 155/12/4 mM for muscle; resting spine Ca: Sabatini et
#: al. 2002, below). The rest of the anionic charge is impermeant (proteins,
#: phosphates, metabolites): ``a_conc`` follows from electroneutrality.
CYTOPLASM = {"na": 12.0, "k": 140.0, "cl": 7.0, "ca": 1.0e-4}

#: Endogenous Ca buffer capacity of a spine head (bound/free, fast buffer): about 20
#: (Sabatini, Oertner & Svoboda 2002, Neuron 33:439, "The life cycle of Ca2+ ions in
#: dendritic spines").
CA_BUFFER_CAPACITY = 20.0

#: Decay time of free Ca in a spine head by extrusion [ms], same source (about 12 ms at
#: room temperature).
CA_TAU = 12.0

# nA -> mM um3/ms of a monovalent ion: I / F in mol/s, over (mM um3/ms in mol/s)
_Q_PER_NA = NA * MS / (FARADAY * MM * UM3)


def cytoplasm(na=CYTOPLASM["na"], k=CYTOPLASM["k"], cl=CYTOPLASM["cl"],
              ca=CYTOPLASM["ca"], a_conc=None, d_na=AQUEOUS_D["na"], d_k=AQUEOUS_D["k"],
              d_cl=AQUEOUS_D["cl"], d_ca=AQUEOUS_D["ca"], d_a=0.0):
    """Species of a cytoplasm: Na, K, Cl, Ca (z = 2) and a fixed monovalent anion ``a``.

    Concentrations in mM, diffusion coefficients in um2/ms (defaults :data:`CYTOPLASM`,
    :data:`AQUEOUS_D`). ``a_conc`` [mM] defaults to the value that makes the bulk
    electroneutral (``na + k + 2 ca - cl``); ``d_a = 0`` makes it immobile. A species
    of zero concentration is left out. Returns a list of :class:`spinepnp.pnp.Species`
    that both :class:`IonSpine` and the full PNP solver take.
    """
    if a_conc is None:
        a_conc = na + k + 2.0 * ca - cl
        if not a_conc >= 0:
            raise ValueError(f"the cations (na {na}, k {k}, 2 ca {2 * ca} mM) do not "
                             f"balance cl = {cl} mM: give a_conc or more cations")
    sp = [Species("na", 1, d_na, na), Species("k", 1, d_k, k), Species("cl", -1, d_cl, cl),
          Species("ca", 2, d_ca, ca), Species("a", -1, d_a, a_conc)]
    return [s for s in sp if s.conc > 0]


@dataclass
class IonResult:
    """A run of :class:`IonSpine` (arrays over the recorded times ``t`` [ms]).

    Attributes
    ----------
    t : ndarray
        Times [ms] (ends at ``t_invalid`` if a species ran out).
    x : ndarray
        Centres of the neck cells [um].
    c : dict of ndarray
        Neck concentrations [mM] per species, shape (nt, n_cells) (free Ca for Ca).
    head : dict of ndarray
        Head concentrations [mM] per species, shape (nt,).
    site : dict of ndarray
        Concentrations at the head's release site [mM], shape (nt,).
    dend : dict of ndarray
        Concentrations at the dendrite end [mM] (constant unless the system is closed).
    v_head : ndarray
        Head potential relative to the dendrite [mV].
    i_neck : ndarray
        Neck current, head to dendrite [nA].
    resistance : ndarray
        Instantaneous neck resistance R [MOhm] (V_head = R i_neck + emf).
    emf : ndarray
        Diffusion EMF of the neck [mV].
    moles : ndarray
        Total amount of each mobile species in dendrite compartment, neck and head
        (bound Ca included) [mM um3 = 1e-18 mol], shape (nt, n_mobile).
    invalid : bool
        A species reached its floor: the run stopped at ``t_invalid``.
    t_invalid : float
        When [ms] (NaN if valid).
    depleted : tuple or None
        ``(species, where)`` with where ``"head"``, ``"site"`` (the release site),
        ``"dendrite"`` or the x [um] of the neck cell.
    mobile : list of str
        Names of the mobile species (the columns of ``moles``).
    n_rhs : int
        Right-hand side evaluations (cost).
    """

    t: np.ndarray
    x: np.ndarray
    c: dict
    head: dict
    site: dict
    dend: dict
    v_head: np.ndarray
    i_neck: np.ndarray
    resistance: np.ndarray
    emf: np.ndarray
    moles: np.ndarray
    mobile: list
    invalid: bool = False
    t_invalid: float = float("nan")
    depleted: tuple = None
    n_rhs: int = 0


class IonSpine:
    """Electroneutral multi-species neck and well-mixed head (see the module docstring).

    Parameters
    ----------
    neck : geometry
        ``spinepnp.laws.Cylinder``, ``Hyperboloid`` or ``Profile``: ``length`` [um],
        ``area(x)`` [um2], ``gamma_at(x)`` [1/um].
    head_volume : float
        Volume of the well-mixed head [um3].
    species : list of Species or None
        Mobile ions and immobile (D = 0) backgrounds (default :func:`cytoplasm`). The
        species named ``"ca"`` gets the head buffer and extrusion.
    head_gamma : float
        int dx/S from the neck's end to the head's centre [1/um] (0: none).
    site_gamma : float
        int f^2 dx/S of the release site [1/um] (module docstring; 0: well mixed).
    n_cells : int
        Number of neck cells.
    celsius : float
        Temperature [degC].
    buffer_capacity : float
        Head Ca buffer capacity kappa [1] (default :data:`CA_BUFFER_CAPACITY`).
    tau_ca : float
        Decay time of head free Ca by extrusion [ms] (default :data:`CA_TAU`;
        ``math.inf``: no extrusion).
    dend_volume : float or None
        None: the dendrite end is clamped at the bulk concentrations. A volume [um3]:
        the dendrite is a closed well-mixed compartment (a closed system).
    floor : float
        Fraction of its bulk value at which a species counts as run out [1].
    """

    def __init__(self, neck, head_volume, species=None, *, head_gamma=0.0, site_gamma=0.0,
                 n_cells=40, celsius=20.0, buffer_capacity=CA_BUFFER_CAPACITY,
                 tau_ca=CA_TAU, dend_volume=None, floor=1e-3):
        for attr in ("length", "area", "gamma_at"):
            if not hasattr(neck, attr):
                raise ValueError(f"neck = {neck!r} is not a geometry: it has no .{attr} "
                                 "(use spinepnp.laws.Cylinder, Hyperboloid or Profile)")
        self.neck = neck
        self.length = check_positive("neck.length", neck.length, "um")
        self.head_volume = check_positive("head_volume", head_volume, "um3")
        if species is None:
            species = cytoplasm()
        try:
            named = [(s.name, s.diffusion) for s in species]
        except (TypeError, AttributeError):
            raise ValueError(f"species = {species!r} must be a list of "
                             "spinepnp.pnp.Species (see spinepnp.ions.cytoplasm)") from None
        # check_species validates a carrier too: any mobile species will do here
        first = next((n for n, d in named if d > 0), named[0][0] if named else "")
        self.species, _ = check_species(species, first)
        self.n_cells = n_cells = check_count("n_cells", n_cells, integer=True)
        if n_cells < 2:
            raise ValueError(f"n_cells = {n_cells!r} must be a whole number >= 2")
        for name, val in (("head_gamma", head_gamma), ("site_gamma", site_gamma)):
            if not (isinstance(val, (int, float)) and math.isfinite(val) and val >= 0):
                raise ValueError(f"{name} = {val!r} 1/um must be finite and >= 0")
        self.head_gamma = float(head_gamma)
        self.site_gamma = float(site_gamma)
        self.celsius = float(celsius)
        self.vt = thermal_voltage(self.celsius)                   # mV
        self.kappa = float(buffer_capacity)
        if not (math.isfinite(self.kappa) and self.kappa >= 0):
            raise ValueError(f"buffer_capacity = {buffer_capacity!r} must be finite, >= 0")
        self.tau_ca = float(tau_ca)
        if not self.tau_ca > 0:
            raise ValueError(f"tau_ca = {tau_ca!r} ms must be > 0 (math.inf: no "
                             "extrusion)")
        self.dend_volume = (None if dend_volume is None else
                            check_positive("dend_volume", dend_volume, "um3"))
        self.floor = check_positive("floor", floor, "")
        if not self.floor < 1:
            raise ValueError(f"floor = {floor!r} is a fraction of the bulk value: give "
                             "0 < floor < 1 (default 1e-3)")
        mob = [s for s in self.species if s.diffusion > 0]
        for s in mob:
            if s.conc == 0:
                raise ValueError(f"mobile species {s.name!r} has zero bulk concentration: "
                                 "its run-out could not be watched; leave it out or give "
                                 "it a small positive value (e.g. 1e-6 mM)")
        self.mobile = [s.name for s in mob]
        self.z = np.array([s.z for s in mob], dtype=float)
        self.D = np.array([s.diffusion for s in mob], dtype=float)
        self.bulk = np.array([s.conc for s in mob], dtype=float)
        self.buffer_factor = np.ones(len(mob))
        self.ica = self.mobile.index("ca") if "ca" in self.mobile else None
        if self.ica is not None:
            self.buffer_factor[self.ica] = 1.0 + self.kappa
        # geometry: cell edges, centres, volumes; link factors A [um]
        edges = np.linspace(0.0, self.length, n_cells + 1)
        self.x = 0.5 * (edges[:-1] + edges[1:])
        gl, wl = np.polynomial.legendre.leggauss(4)
        half = 0.5 * (edges[1:] - edges[:-1])
        mid = self.x
        pts = mid[:, None] + half[:, None] * gl[None, :]
        self.cell_volume = (np.asarray(neck.area(pts.ravel())).reshape(pts.shape)
                            @ wl) * half                           # um3
        nodes = np.concatenate([[0.0], self.x, [self.length]])
        gam = np.asarray(neck.gamma_at(nodes), dtype=float)
        dg = np.diff(gam)
        dg[-1] += self.head_gamma
        self.A = 1.0 / dg                                          # um
        self.Gamma = float(gam[-1] - gam[0]) + self.head_gamma     # 1/um
        self._zD = self.z * self.D
        self._z2D = self.z * self.z * self.D
        self.n_nodes = n_cells + 2                                 # dend, cells, head
        self._closed = self.dend_volume is not None
        self._first = 0 if self._closed else 1                     # first state node

    # ------------------------------------------------------------ state layout
    def rest_state(self):
        """Bulk concentrations everywhere (the state vector)."""
        C = np.repeat(self.bulk[:, None], self.n_nodes, axis=1)
        return C[:, self._first:].ravel()

    def _full(self, y):
        Y = y.reshape(len(self.mobile), self.n_nodes - self._first)
        if self._closed:
            return Y
        return np.concatenate([self.bulk[:, None], Y], axis=1)

    def state_from(self, head=None, cells=None, dend=None):
        """A state vector from concentrations [mM]: dicts name -> value (head, dend) or
        array over the cells; unspecified species keep their bulk value. The caller keeps
        every node electroneutral."""
        C = self._full(self.rest_state()).copy()
        for where, vals in ((slice(-1, None), head), (slice(1, -1), cells),
                            (slice(0, 1), dend)):
            for name, v in (vals or {}).items():
                if name not in self.mobile:
                    raise ValueError(f"{name!r} is not a mobile species {self.mobile}")
                C[self.mobile.index(name), where] = v
        return C[:, self._first:].ravel()

    def _check_state(self, y):
        """Refuse negative or non-electroneutral concentrations (the model keeps the
        charge of every node, so a charged start would stay charged)."""
        C = self._full(y)
        if C.min() < 0:
            k, j = np.unravel_index(int(np.argmin(C)), C.shape)
            raise ValueError(f"initial {self.mobile[k]} is negative ({C[k, j]:g} mM) at "
                             f"node {j}: concentrations must be >= 0")
        fixed = sum(s.z * s.conc for s in self.species if s.diffusion == 0)
        charge = self.z @ C + fixed
        total = np.abs(self.z) @ C + sum(abs(s.z) * s.conc for s in self.species
                                         if s.diffusion == 0)
        j = int(np.argmax(np.abs(charge) / total))
        if abs(charge[j]) > 1e-9 * total[j]:
            raise ValueError(f"the initial state is not electroneutral at node {j} "
                             f"(sum z c = {charge[j]:g} mM): change cations and anions "
                             "together (e.g. raise Na and lower K by the same amount)")

    # ------------------------------------------------------------ the neck law
    def neck_law(self, C):
        """Resistance R [MOhm] and diffusion EMF E [mV] of the neck for node
        concentrations ``C`` (n_mobile x n_nodes): ``V_head = R I + E``."""
        cbar = 0.5 * (C[:, :-1] + C[:, 1:])
        sigma = self._z2D @ cbar                                   # mM um2/ms
        g = self._zD @ np.diff(C, axis=1)
        r = self.vt * float(np.sum(_Q_PER_NA / (self.A * sigma)))  # mV/nA = MOhm
        e = -self.vt * float(np.sum(g / sigma))
        return r, e

    def site(self, C, i_ion):
        """Concentrations at the head's release site [mM] (module docstring)."""
        return C[:, -1] + np.array(i_ion) * _Q_PER_NA / self.z * self.site_gamma / self.D

    def _pump(self, C):
        """Ca extrusion out of the head [mM um3/ms] (0 without Ca)."""
        if self.ica is None or math.isinf(self.tau_ca):
            return 0.0
        return (self.head_volume * self.buffer_factor[self.ica]
                * (C[self.ica, -1] - self.bulk[self.ica]) / self.tau_ca)

    def _flows(self, C, i_ion):
        """Link flows towards the head Q (n_mobile x n_links) and the neck current."""
        pump = self._pump(C)
        i_neck = float(sum(i_ion)) - 2.0 * pump / _Q_PER_NA
        cbar = 0.5 * (C[:, :-1] + C[:, 1:])
        dC = np.diff(C, axis=1)
        sigma = self._z2D @ cbar
        du = (i_neck * _Q_PER_NA / self.A - self._zD @ dC) / sigma
        Q = -self.D[:, None] * self.A[None, :] * (dC + self.z[:, None] * cbar * du)
        return Q, i_neck, pump, du

    def rhs(self, t, y, currents):
        """Time derivative of the state [mM/ms]; ``currents(t)`` -> head currents by
        mobile species [nA]."""
        C = self._full(y)
        i_ion = currents(t)
        Q, _, pump, _ = self._flows(C, i_ion)
        d = np.empty_like(C)
        d[:, 1:-1] = (Q[:, :-1] - Q[:, 1:]) / self.cell_volume
        src = np.array(i_ion) * _Q_PER_NA / self.z
        if self.ica is not None:
            src[self.ica] -= pump
        d[:, -1] = (Q[:, -1] + src) / (self.head_volume * self.buffer_factor)
        if self._closed:
            d[:, 0] = -Q[:, 0] / self.dend_volume
        return d[:, self._first:].ravel()

    def _sparsity(self):
        nm, nn = len(self.mobile), self.n_nodes - self._first
        node = np.arange(nn)
        band = (np.abs(node[:, None] - node[None, :]) <= 2).astype(int)
        J = np.kron(np.ones((nm, nm), dtype=int), band)
        if self.ica is not None:                 # the pump current sets the field
            J[:, self.ica * nn + nn - 1] = 1
        return scipy.sparse.csr_matrix(J)

    def moles(self, y):
        """Amount of each mobile species [mM um3] (bound head Ca included)."""
        C = self._full(y)
        tot = C[:, 1:-1] @ self.cell_volume + C[:, -1] * self.head_volume * self.buffer_factor
        if self._closed:
            tot = tot + C[:, 0] * self.dend_volume
        return tot

    # ------------------------------------------------------------ currents
    def _currents(self, currents):
        """``currents``: dict species -> number [nA] or callable of t [ms]."""
        currents = dict(currents or {})
        funcs, breaks = [], set()
        for name in currents:
            if name not in self.mobile:
                raise ValueError(f"current of {name!r}: not a mobile species of this "
                                 f"spine {self.mobile}")
        for name in self.mobile:
            f = currents.get(name, 0.0)
            if callable(f):
                breaks.update(getattr(f, "breakpoints", ()))
                funcs.append(f)
            else:
                try:
                    v = float(f)
                except (TypeError, ValueError):
                    raise ValueError(f"current of {name!r} = {f!r} must be a number "
                                     "[nA] or a callable of t [ms]") from None
                if not math.isfinite(v):
                    raise ValueError(f"current of {name!r} = {f!r} nA must be finite")
                funcs.append(lambda t, v=v: v)

        def at(t):
            return [float(f(t)) for f in funcs]
        return at, sorted(breaks)

    # ------------------------------------------------------------ runs
    def run(self, currents, t_stop, t_eval=None, initial=None, rtol=1e-8, atol=1e-10,
            max_step=math.inf):
        """Integrate from ``initial`` (default: rest) to ``t_stop`` [ms].

        Parameters
        ----------
        currents : dict
            Head currents by species [nA] (> 0: positive charge into the head), numbers
            or callables of t [ms] (e.g. :func:`spinepnp.pnp.step`, whose breakpoints
            restart the integrator).
        t_stop : float
            End time [ms].
        t_eval : array_like or None
            Times to record [ms] (default: every internal step).
        initial : ndarray or None
            State vector (:meth:`rest_state`, :meth:`state_from`).
        rtol, atol : float
            Tolerances of the BDF integrator (atol in mM).
        max_step : float
            Largest step [ms].

        Returns
        -------
        IonResult
        """
        t_stop = check_positive("t_stop", t_stop, "ms")
        at, breaks = self._currents(currents)
        y = self.rest_state() if initial is None else np.array(initial, dtype=float)
        if y.shape != self.rest_state().shape or not np.isfinite(y).all():
            raise ValueError("initial must be a finite state vector of this spine "
                             "(rest_state() or state_from(...))")
        self._check_state(y)
        if t_eval is not None:
            t_eval = np.asarray(t_eval, dtype=float)
            if t_eval.ndim != 1 or np.any(np.diff(t_eval) <= 0) or t_eval[0] < 0 \
                    or t_eval[-1] > t_stop:
                raise ValueError("t_eval must increase within [0, t_stop] ms")
        floors = self.floor * self.bulk
        nn = self.n_nodes - self._first

        def event(k):
            def ev(t, y, *_):
                low = min(float(y[k * nn:(k + 1) * nn].min()),
                          float(self.site(self._full(y), at(t))[k]))
                return low - floors[k]
            ev.terminal = True
            ev.direction = -1
            return ev
        events = [event(k) for k in range(len(self.mobile)) if floors[k] > 0]
        segs = [0.0] + [b for b in breaks if 0 < b < t_stop] + [t_stop]
        ts, ys = [], []
        n_rhs = 0
        if t_eval is None or t_eval[0] == 0.0:
            ts.append(0.0)
            ys.append(y.copy())
        invalid, t_inv, depleted = False, float("nan"), None
        sparsity = self._sparsity()
        for a, b in zip(segs[:-1], segs[1:]):
            sol = scipy.integrate.solve_ivp(
                self.rhs, (a, b), y, method="BDF", args=(at,), rtol=rtol, atol=atol,
                jac_sparsity=sparsity, events=events, max_step=max_step,
                first_step=min(1e-6, b - a), dense_output=True)
            n_rhs += sol.nfev
            if sol.status < 0:
                raise ConvergenceError(f"the integrator failed at t = {sol.t[-1]:g} ms: "
                                       f"{sol.message}")
            t_end = float(sol.t[-1])
            if t_eval is None:
                ts.extend(sol.t[1:].tolist())
                ys.extend(sol.y.T[1:])
            else:
                te = t_eval[(t_eval > a) & (t_eval <= t_end)]
                if te.size:
                    ts.extend(te.tolist())
                    ys.extend(sol.sol(te).T)
            y = sol.y[:, -1]
            if sol.status == 1:                                   # a species ran out
                k = [i for i, e in enumerate(sol.t_events) if e.size][0]
                kk = [i for i in range(len(self.mobile)) if floors[i] > 0][k]
                ye = sol.y_events[k][0]
                t_inv = float(sol.t_events[k][0])
                j = int(np.argmin(ye[kk * nn:(kk + 1) * nn])) + self._first
                where = "head" if j == self.n_nodes - 1 else (
                    "dendrite" if j == 0 else float(self.x[j - 1]))
                at_site = self.site(self._full(ye), at(t_inv))[kk]
                if at_site < ye[kk * nn:(kk + 1) * nn].min():
                    where = "site"
                depleted = (self.mobile[kk], where)
                invalid = True
                if not ts or ts[-1] < t_inv:
                    ts.append(t_inv)
                    ys.append(ye)
                break
        return self._result(np.array(ts), ys, at, invalid, t_inv, depleted, n_rhs)

    def _result(self, ts, ys, at, invalid, t_inv, depleted, n_rhs):
        nt = ts.size
        nm = len(self.mobile)
        Cs = np.array([self._full(y) for y in ys]).reshape(nt, nm, self.n_nodes)
        v = np.empty(nt)
        i_n = np.empty(nt)
        r = np.empty(nt)
        e = np.empty(nt)
        mol = np.empty((nt, nm))
        site = np.empty((nt, nm))
        for k in range(nt):
            site[k] = self.site(Cs[k], at(ts[k]))
            r[k], e[k] = self.neck_law(Cs[k])
            _, i_n[k], _, _ = self._flows(Cs[k], at(ts[k]))
            v[k] = r[k] * i_n[k] + e[k]
            mol[k] = self.moles(ys[k])
        return IonResult(
            t=ts, x=self.x.copy(),
            c={s: Cs[:, k, 1:-1] for k, s in enumerate(self.mobile)},
            head={s: Cs[:, k, -1] for k, s in enumerate(self.mobile)},
            site={s: site[:, k] for k, s in enumerate(self.mobile)},
            dend={s: Cs[:, k, 0] for k, s in enumerate(self.mobile)},
            v_head=v, i_neck=i_n, resistance=r, emf=e, moles=mol,
            mobile=list(self.mobile), invalid=invalid, t_invalid=t_inv,
            depleted=depleted, n_rhs=int(n_rhs))

    def steady_state(self, currents, initial=None, tol=1e-12):
        """Steady state for constant head currents (dict species -> nA).

        The steady equations of a clamped dendrite leave the charge of every node free
        (each conserves it), so one equation per node is replaced by electroneutrality
        ``sum z c + fixed charge = 0``. Solved by scipy's MINPACK ``hybr`` from the rest
        state (or ``initial``), with continuation in the size of the currents.

        Returns
        -------
        IonResult
            One record (t = [inf]).
        """
        if self._closed:
            raise ValueError("steady_state needs a clamped dendrite (dend_volume=None)")
        at, breaks = self._currents(currents)
        if breaks:
            raise ValueError("steady_state needs constant currents (numbers [nA])")
        fixed = sum(s.z * s.conc for s in self.species if s.diffusion == 0)
        kdom = int(np.argmax(np.abs(self.z) * self.bulk))
        scale = self.bulk.max()
        y0 = self.rest_state() if initial is None else np.asarray(initial, float)
        if y0.shape != self.rest_state().shape or not np.isfinite(y0).all():
            raise ValueError("initial must be a finite state vector of this spine "
                             "(rest_state() or state_from(...))")
        self._check_state(y0)

        def f(y, frac):
            d = self.rhs(0.0, y, lambda t: [frac * i for i in at(t)])
            d = d.reshape(len(self.mobile), -1) * self.cell_or_head_volume() / scale
            d[kdom] = (self.z @ self._full(y)[:, 1:] + fixed) / scale
            return d.ravel()

        # continuation in the size of the currents, from rest (step halved on failure)
        y, frac, dfrac, nfev = y0, 0.0, 1.0, 0
        while frac < 1.0:
            nxt = min(1.0, frac + dfrac)
            sol = scipy.optimize.root(f, y, args=(nxt,), method="hybr", tol=tol)
            nfev += sol.nfev
            if sol.success and np.max(np.abs(f(sol.x, nxt))) < 1e-9:
                y, frac = sol.x, nxt
                dfrac *= 2.0
            else:
                dfrac *= 0.5
                if dfrac < 1e-4:
                    raise ConvergenceError(
                        f"no steady state found beyond {frac:.4g} of the currents "
                        f"({sol.message.strip()}): is the current beyond the carrier's "
                        "saturation current?")
        res = self._result(np.array([math.inf]), [y], at, False, float("nan"), None,
                           nfev)
        low = [s for s in self.mobile if res.head[s][0] < 0 or res.c[s].min() < 0]
        if low:
            raise ConvergenceError(f"the steady state has negative {low}: the current "
                                   "is beyond the saturation current of the carrier")
        return res

    def cell_or_head_volume(self):
        """Volumes [um3] of the state nodes (cells, head) of a clamped spine."""
        return np.concatenate([self.cell_volume, [self.head_volume]])



def ball_and_neck_spine(neck_length=1.0, neck_radius=0.05, head_radius=0.25,
                        cap_radius=0.01, species=None, **kw):
    """The reference for :func:`spinepnp.geometry.ball_and_neck`'s spine.

    A cylindrical neck; the rest of the profile's volume as the head; ``head_gamma``
    the profile's int dx/S from the neck's end to the head's centre; ``site_gamma``
    for currents leaving through the cap at the head's pole (the full PNP solver's head
    end). Lengths [um]; other keywords go to :class:`IonSpine`.
    """
    from scipy.integrate import cumulative_trapezoid, trapezoid

    from .geometry import Cylinder, ball_and_neck
    prof = ball_and_neck(neck_length, neck_radius, head_radius, cap_radius)
    neck = Cylinder(neck_length, neck_radius)
    x_centre = neck_length + math.sqrt(head_radius ** 2 - neck_radius ** 2)
    x = np.linspace(neck_length, prof.length, 20001)    # head: junction to the cap
    area = prof.area(x)
    frac = cumulative_trapezoid(area, x, initial=0.0)
    frac /= frac[-1]
    site_gamma = float(trapezoid(frac ** 2 / area, x))
    head_gamma = float(prof.gamma_at(x_centre) - prof.gamma_at(neck_length))
    return IonSpine(neck, prof.volume - neck.volume, species, head_gamma=head_gamma,
                    site_gamma=site_gamma, **kw)


#: NEURON ion of each cytoplasm species: (ion mechanism, intracellular variable).
NEURON_IONS = {"na": ("na_ion", "nai"), "k": ("k_ion", "ki"), "cl": ("cl_ion", "cli"),
               "ca": ("ca_ion", "cai")}
#: valence of each species SpnpSpineIons knows (the fixed anion ``a`` included)
_VALENCE = {"na": 1, "k": 1, "cl": -1, "ca": 2, "a": -1}


def insert_ions(sections):
    """Insert NEURON's Na, K, Cl and Ca ion mechanisms into every segment of
    ``sections`` (registering Cl, z = -1, and Ca, z = 2); returns nothing.

    Do this on a section before the first ``SpnpSpineIons`` goes on it
    (:func:`spinepnp.build.attach_ion_spine` does). A point process's ``USEION`` adds the
    ions to its own segment only, and in NEURON 9.0.2 an ion added that way to a second
    segment of the same section can leave the earlier point process with a stale copy
    of its ion variables: measured, with three point processes on three segments of one
    section, the first read ``ki``, ``cli`` and ``cai`` at NEURON's defaults after they
    had been set, and such a copy would also swallow the currents it writes. Ions present
    in every segment from the start avoid it; inserting them afterwards does not.
    """
    from neuron import h
    for name, (ion, _) in NEURON_IONS.items():
        h.ion_register(name, _VALENCE[name])
        for sec in sections:
            sec.insert(ion)


def set_cytoplasm(sections=(), species=None):
    """Give NEURON's ions a cytoplasm: intracellular Na, K, Cl and Ca [mM].

    NEURON's ion defaults (``nai0_na_ion`` = 10, ``ki0_k_ion`` = 54.4,
    ``cai0_ca_ion`` = 5e-5 mM, ``cli0_cl_ion`` = 1 mM) are not a mammalian cytoplasm.
    This registers each ion with NEURON (``ion_register``: Cl exists only once something
    declares it), sets the present value in every segment of ``sections`` that has the
    ion (a concentration no mechanism writes keeps it through ``finitialize``; a
    segment has an ion once a mechanism there uses it, e.g. an ``SpnpSpineIons``: call
    this after attaching the spines), and sets
    the global ``<ion>i0_<ion>_ion``, from which ``finitialize`` starts the concentration
    wherever it is a state (a mechanism that WRITEs it: ion accumulation, rxd, the spine).
    Sections made afterwards start from NEURON's built-in values: call it again with
    them (``h.allsec()`` for all). Extracellular concentrations are left alone.

    Parameters
    ----------
    sections : iterable of Section
        Sections to update (``h.allsec()`` for all).
    species : list of Species or None
        Default :func:`cytoplasm`; only na, k, cl and ca map onto NEURON ions.

    Returns
    -------
    dict
        ``{variable: mM}`` of what was set (``nai``, ``ki``, ``cli``, ``cai``).
    """
    from neuron import h

    sp = cytoplasm() if species is None else list(species)
    secs = list(sections)
    done = {}
    for s in sp:
        if s.name not in NEURON_IONS:
            continue
        ion, var = NEURON_IONS[s.name]
        try:
            h.ion_register(s.name, s.z)
        except RuntimeError as exc:
            raise ValueError(f"NEURON refuses ion {s.name!r} with valence {s.z}: "
                             f"{exc}") from None
        setattr(h, f"{var}0_{ion}", s.conc)
        for sec in secs:
            for seg in sec:
                # per segment: a point process's USEION puts the ion into its own
                # segment only, and h.ismembrane does not always report it there
                if hasattr(seg, ion):
                    setattr(seg, var, s.conc)
        done[var] = s.conc
    return done


# ---------------------------------------------------------------- the NEURON mechanism

#: SpnpSpineIons's diffusion coefficient parameter of each cytoplasm species [um2/ms]
ION_SPINE_D = {"na": "d_na", "k": "d_k", "cl": "d_cl", "ca": "d_ca", "a": "d_a"}


def ion_spine_parameters(species=None) -> dict:
    """The ``SpnpSpineIons`` parameters that describe a species list.

    The mechanism's mobile ions are Na, K, Cl (z = -1) and Ca (z = 2), plus a fixed
    monovalent anion ``a``; each gets its diffusion coefficient (``d_na``, ``d_k``,
    ``d_cl``, ``d_ca``, ``d_a`` [um2/ms], ``d_a = 0``: immobile) and the anion its
    concentration ``a_conc`` [mM] (0 if the list has none). The mobile ions' bulk
    concentrations are not parameters: the spine reads them from its dendrite segment
    (``nai``, ``ki``, ``cli``, ``cai``; see :func:`set_cytoplasm`).

    Parameters
    ----------
    species : list of Species or None
        Default :func:`cytoplasm`.

    Returns
    -------
    dict
        Parameter name -> value, to set on the point process.
    """
    sp = cytoplasm() if species is None else list(species)
    valence = _VALENCE
    out = {"a_conc": 0.0}
    for s in sp:
        name = getattr(s, "name", None)
        if name not in ION_SPINE_D:
            raise ValueError(f"species {name!r}: SpnpSpineIons knows Na, K, Cl, Ca and "
                             "one fixed anion, named 'na', 'k', 'cl', 'ca' and 'a'")
        if s.z != valence[name]:
            raise ValueError(f"species {name!r} has valence {s.z}; SpnpSpineIons's "
                             f"{name} has {valence[name]}")
        out[ION_SPINE_D[name]] = float(s.diffusion)
        if name == "a":
            out["a_conc"] = float(s.conc)
    return out
