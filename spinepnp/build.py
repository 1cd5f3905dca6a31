"""Builders: spines on any NEURON segment, spiny neurons, and networks of spiny neurons.

One call, :func:`attach_spine`, puts a spine on a dendrite segment with the neck law of
your choice, so that a comparison swaps only the spine model:

===============  ==============================================================  =========
law              spine model                                                     R0 [MOhm]
===============  ==============================================================  =========
``pnp``          ``SpnpSpine`` mode 1: steady electro-diffusion (PNP) law          R0 (law)
``pnp-dynamic``  ``SpnpSpine`` mode 2: dynamic electroneutral neck                R0 (law)
``ohmic``        ``SpnpSpine`` mode 0 with the law's small-signal R0               R0 (law)
``ohmic-ra``     ``SpnpSpine`` mode 0 with a typical cytoplasmic Ra                Ra*Gamma
``explicit``     head and neck Sections, neck Ra calibrated to the law's R0        R0 (law)
``explicit-ra``  head and neck Sections with a typical Ra (what users do today)    Ra*Gamma
===============  ==============================================================  =========

``R0 = VT Gamma / (2 C D F)`` is :func:`spinepnp.laws.ohmic_resistance` (paper eq 7 and
its general-profile form), ``Gamma = integral dx/S(x)`` of the neck [1/um]; the two
calibrated Ohmic references differ from ``pnp`` only by the nonlinearity. The typical Ra
is :data:`TYPICAL_RA` = 150 Ohm cm (the law's own resistivity ``VT/(2 C D F)`` is about
59 Ohm cm at 20 degC, 167 mM, D = 1.33 um2/ms).

Every spine exposes a NetCon target on its head (``spine.target``) taking the same two
weights for every law, AMPA and NMDA peak conductances [uS] (``SpnpSpine``'s
NET_RECEIVE); use :meth:`Spine.netcon` or :meth:`Spine.set_weights`. For explicit spines
the target is, by default, an ``SpnpSpine`` placed in the head Section with a negligible
neck (1 kOhm): only its head synapses act, so AMPA and NMDA kinetics are identical to the
drop-in spine's (``head_synapse="exp2syn"`` uses NEURON's Exp2Syn instead, AMPA only,
same kinetics: SpnpSpine's AMPA is normalised like Exp2Syn).

Also here: :func:`build_spiny_neuron` (HH soma, passive dendrite with spines, synapses on
spine heads) and :func:`build_network` (the biophysics summary's eq 16 network with
ParallelContext, gids and MPI-rank-independent random connectivity, see
:func:`network_connectivity`).

NEURON's units throughout: mV, ms, um, nA, uS, MOhm, Ohm cm, S/cm2, uF/cm2. NEURON is
imported inside the functions that need it, never at module import. The temperature is
NEURON's ``h.celsius`` at the time a spine is attached (SpnpSpine re-reads it at every
``finitialize``; an explicit neck's Ra is fixed when it is built), so set ``h.celsius``
first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import scipy.constants as sc

from . import laws
from .constants import UM2, US
from .geometry import Cylinder, Neck, check_positive
from .spinesets import SpineParams, load_spine_params

__all__ = [
    "LAWS", "POINT_LAWS", "EXPLICIT_LAWS", "TYPICAL_RA", "SYNAPSE_DEFAULTS",
    "Spine", "SpineProbe", "attach_spine", "explicit_neck_ra",
    "d_lambda_nseg", "SpinyNeuron", "build_spiny_neuron",
    "NetworkSpec", "Connection", "gids_on_rank", "network_connectivity", "external_spines",
    "SpinyNetwork", "build_network",
]

#: Neck laws selectable in :func:`attach_spine` -> SpnpSpine mode (None: explicit Sections)
POINT_LAWS = {"pnp": 1, "pnp-dynamic": 2, "ohmic": 0, "ohmic-ra": 0}
EXPLICIT_LAWS = ("explicit", "explicit-ra")
LAWS = tuple(POINT_LAWS) + EXPLICIT_LAWS

#: Typical cytoplasmic axial resistivity used by NEURON models today [Ohm cm].
TYPICAL_RA = 150.0

#: Head synapse defaults (SpnpSpine names): AMPA and NMDA double exponentials [ms, mV, mM]
SYNAPSE_DEFAULTS = {"tau1": 0.2, "tau2": 2.0, "e_ampa": 0.0,
                    "nmda_tau1": 2.0, "nmda_tau2": 50.0, "e_nmda": 0.0, "mg": 1.0}

# g [S/cm2] * area [um2] -> uS, from the unit factors of spinepnp.constants
_GAREA_TO_US = UM2 / sc.centi ** 2 / US
# neck of the SpnpSpine used as a synapse in an explicit head [MOhm] (1 kOhm): adds
# I * 1 kOhm ~ 1e-4 mV at 0.1 nA. Not smaller: SpnpSpine solves the head voltage to
# ~1e-10 mV, which is a current error of 1e-10 mV / rneck (1e-4 nA at 1 Ohm).
_SHIM_RNECK = 1e-3


def _h():
    from neuron import h
    h.load_file("stdrun.hoc")
    return h


def _need_spnp(h):
    from .loader import load_mechanisms
    load_mechanisms()
    if not hasattr(h, "SpnpSpine"):
        raise RuntimeError("the SpnpSpine mechanism is not available: spinepnp's "
                           "mechanisms/SpnpSpine.mod did not load (run `spinepnp build "
                           "--verbose` to see why)")


def explicit_neck_ra(r0: float, gamma: float) -> float:
    """Axial resistivity [Ohm cm] that gives a neck of ``Gamma`` [1/um] resistance ``r0``.

    ``R = Ra Gamma`` (``4 Ra L / (pi d^2)`` for a cylinder): the inverse of
    :func:`spinepnp.laws.cable_resistance`.
    """
    return check_positive("r0", r0, "MOhm") / _cable_r(1.0, gamma)


def _cable_r(ra: float, gamma: float) -> float:
    """Neck resistance Ra Gamma [MOhm] for Ra [Ohm cm] and Gamma [1/um]."""
    return laws.cable_resistance(_GammaOnly(check_positive("gamma", gamma, "1/um")), ra)


class _GammaOnly:
    """A neck known only by its Gamma [1/um] (what the resistance laws need)."""

    def __init__(self, gamma: float):
        self.gamma = gamma


@dataclass
class SpineProbe:
    """Recordings of one spine; call :meth:`arrays` after the run.

    ``vhead`` [mV], ``vdend`` [mV] (the dendrite segment the spine sits on) and the neck
    current ``ineck`` [nA], positive from the head into the dendrite. For an explicit
    spine ``ineck`` is computed from the voltage drop across the neck's first half
    segment: ``(v(neck node 1) - v(dendrite)) / ri``, exact in NEURON's discretisation.
    """

    spine: "Spine"
    t: object
    vhead: object
    vdend: object
    ineck_vec: object = None
    vneck1: object = None
    ri: float = float("nan")

    def arrays(self) -> dict:
        """Dict of numpy arrays ``t`` [ms], ``vhead``, ``vdend`` [mV], ``ineck`` [nA]."""
        out = {"t": np.array(self.t), "vhead": np.array(self.vhead),
               "vdend": np.array(self.vdend)}
        if self.ineck_vec is not None:
            out["ineck"] = np.array(self.ineck_vec)
        else:
            out["ineck"] = (np.array(self.vneck1) - out["vdend"]) / self.ri
        return out


@dataclass(slots=True)
class Spine:
    """A spine attached to a dendrite segment by :func:`attach_spine`.

    Attributes
    ----------
    law : str
        One of :data:`LAWS`.
    geometry : SpineParams
        Neck length and diameter, head diameter [um].
    neck_geometry : Neck
        The neck used by the laws (``Cylinder`` unless a profile was given).
    seg : nrn.Segment
        Dendrite segment the spine is attached to.
    r0 : float
        Small-signal neck resistance of this spine model [MOhm] at ``celsius``.
    r0_law : float
        The PNP law's small-signal R0 for this neck [MOhm] at ``celsius``.
    celsius : float
        Temperature used for ``r0`` [degC] (NEURON's ``h.celsius`` at attachment).
    ra : float or None
        Axial resistivity of the neck [Ohm cm] for ``explicit*`` and ``ohmic-ra``.
    point : hoc object or None
        The ``SpnpSpine`` in the dendrite (point laws), else None.
    neck, head : nrn.Section or None
        The Sections of an explicit spine, else None.
    target : hoc object
        NetCon target on the head (SpnpSpine or Exp2Syn).
    """

    law: str
    geometry: SpineParams
    neck_geometry: Neck
    seg: object
    r0: float
    r0_law: float
    celsius: float
    ra: float | None
    point: object = None
    neck: object = None
    head: object = None
    target: object = None

    @property
    def explicit(self) -> bool:
        """True for an explicit (Section) spine."""
        return self.point is None

    @property
    def head_v_ref(self):
        """Pointer to the head voltage [mV], for ``Vector.record``."""
        return self.head(0.5)._ref_v if self.explicit else self.point._ref_vhead

    @property
    def ineck_ref(self):
        """Pointer to the neck current [nA] (SpnpSpine laws only; see :meth:`record`)."""
        if self.explicit:
            raise AttributeError(f"an explicit spine ({self.law}) has no neck-current "
                                 "variable: use spine.record() and .arrays()['ineck']")
        return self.point._ref_ineck

    def record(self, dt: float | None = None) -> SpineProbe:
        """Start recording head voltage, dendrite voltage and neck current.

        Parameters
        ----------
        dt : float, optional
            Sampling interval [ms]; default every time step.
        """
        h = _h()

        def vec(ref):
            v = h.Vector()
            if dt is None:
                v.record(ref)
            else:
                v.record(ref, dt)
            return v

        t = vec(h._ref_t)
        if self.explicit:
            return SpineProbe(self, t, vec(self.head_v_ref), vec(self.seg._ref_v),
                              vneck1=vec(self.neck(0.5 / self.neck.nseg)._ref_v),
                              ri=h.ri(0.5 / self.neck.nseg, sec=self.neck))
        return SpineProbe(self, t, vec(self.head_v_ref), vec(self.seg._ref_v),
                          ineck_vec=vec(self.ineck_ref))

    def set_weights(self, nc, ampa: float, nmda: float = 0.0):
        """Set a NetCon's weights: AMPA and NMDA peak conductances [uS]."""
        exp2syn = self.target.hname().startswith("Exp2Syn")
        if exp2syn and nmda:
            raise ValueError("this explicit spine's synapse is an Exp2Syn (AMPA only); "
                             "attach it with head_synapse='spnp' to have NMDA")
        nc.weight[0] = float(ampa)
        if not exp2syn:
            nc.weight[1] = float(nmda)
        return nc

    def netcon(self, source, ampa: float, nmda: float = 0.0, delay: float = 1.0,
               threshold: float = 10.0, sec=None):
        """A NetCon from ``source`` (a NetStim, or a pointer with ``sec``) to the head.

        Parameters
        ----------
        source : hoc object, pointer or None
            Event source (as for ``h.NetCon``).
        ampa, nmda : float
            Peak conductances of one event [uS].
        delay : float
            Delay [ms].
        threshold : float
            Threshold for a voltage source [mV].
        """
        h = _h()
        nc = (h.NetCon(source, self.target, sec=sec) if sec is not None
              else h.NetCon(source, self.target))
        nc.delay = delay
        nc.threshold = threshold
        return self.set_weights(nc, ampa, nmda)


def _membrane(seg, g_pas, e_pas):
    """Spine leak (g [S/cm2], e [mV]): given, else the segment's pas, else none."""
    if g_pas is None and hasattr(seg, "pas"):
        g, e = float(seg.pas.g), float(seg.pas.e)
    else:
        g, e = (0.0 if g_pas is None else float(g_pas)), -70.0
    return g, (e if e_pas is None else float(e_pas))


def _spnp_point(h, seg, mode, neck, geo, point_params):
    """Create and configure one SpnpSpine (the only SpnpSpine-specific code here)."""
    from .spine import configure_spine
    _need_spnp(h)
    pp = h.SpnpSpine(seg)
    configure_spine(pp, neck=neck, mode=mode, head_diam=geo.head_diam, **point_params)
    return pp


def attach_spine(seg, law: str = "pnp", params="thin", *, neck: Neck | None = None,
                 ra: float = TYPICAL_RA, conc: float = 167.0, diffusion: float = 1.33,
                 diff_anion: float = 2.03, g_pas: float | None = None,
                 e_pas: float | None = None, cm: float = 1.0, synapse: dict | None = None,
                 head_synapse: str = "spnp", neck_nseg: int = 1, name: str = "spine",
                 **point_params) -> Spine:
    """Attach one spine to a dendrite segment, with the chosen neck law.

    Parameters
    ----------
    seg : nrn.Segment
        Dendrite segment, e.g. ``dend(0.5)``.
    law : str
        One of :data:`LAWS` (see the module docstring).
    params : str or SpineParams
        Spine geometry, a name of :mod:`spinepnp.spinesets` (``"thin"``, ``"mushroom"``,
        ``"stubby"``, ``"paper"``) or a :class:`SpineParams`.
    neck : Cylinder, Hyperboloid or Profile, optional
        Neck profile overriding the cylinder of ``params`` (its ``length`` is used). An
        explicit spine then uses the cylinder of the same length and the same Gamma.
    ra : float
        Axial resistivity for ``ohmic-ra`` and ``explicit-ra`` [Ohm cm].
    conc : float
        Salt concentration at the dendrite end [mM].
    diffusion : float
        Diffusion coefficient of the carrier cation [um2/ms].
    diff_anion : float
        Diffusion coefficient of the anion [um2/ms] (``pnp-dynamic``).
    g_pas, e_pas : float, optional
        Spine membrane leak [S/cm2] and reversal [mV]; default: the dendrite segment's
        ``pas`` if it has one, else no leak. SpnpSpine gets ``gleak = g_pas * head area``
        (its head has no capacitance: see DESIGN.md section 3); explicit Sections get
        ``pas`` on head and neck.
    cm : float
        Membrane capacitance of explicit Sections [uF/cm2].
    synapse : dict, optional
        Head synapse parameters (SpnpSpine names, see :data:`SYNAPSE_DEFAULTS`).
    head_synapse : {"spnp", "exp2syn"}
        Synapse of an explicit spine: an SpnpSpine with a 1 kOhm neck in the head (AMPA +
        NMDA, same kinetics as the drop-in spine) or an Exp2Syn (AMPA only).
    neck_nseg : int
        Segments of an explicit neck.
    name : str
        Base name of explicit Sections.
    **point_params
        Any further SpnpSpine parameter (e.g. ``gna_head``, ``iinj``); point laws only.

    Returns
    -------
    Spine
    """
    if law not in LAWS:
        raise ValueError(f"unknown law {law!r}; valid laws: {', '.join(LAWS)}")
    if head_synapse not in ("spnp", "exp2syn"):
        raise ValueError(f"head_synapse = {head_synapse!r}: use 'spnp' or 'exp2syn'")
    h = _h()
    geo = load_spine_params(params)
    neck_g = neck if neck is not None else geo.neck
    gamma = check_positive("neck.gamma", neck_g.gamma, "1/um")
    celsius = float(h.celsius)
    r0_law = laws.ohmic_resistance(neck_g, conc, diffusion, celsius)
    syn = dict(SYNAPSE_DEFAULTS)
    syn.update(synapse or {})
    g_leak, e_leak = _membrane(seg, g_pas, e_pas)

    if law in POINT_LAWS:
        mode = POINT_LAWS[law]
        pp_params = dict(conc=conc, diff=diffusion, diff_anion=diff_anion,
                         gleak=g_leak * geo.head_area * _GAREA_TO_US, eleak=e_leak,
                         rneck=0.0, ra=0.0)
        r0, ra_used = r0_law, None
        if law == "ohmic-ra":
            ra_used = check_positive("ra", ra, "ohm cm")
            pp_params["ra"] = ra_used
            r0 = _cable_r(ra_used, gamma)
        pp_params.update(syn)
        pp_params.update(point_params)
        pp = _spnp_point(h, seg, mode, neck_g, geo, pp_params)
        return Spine(law, geo, neck_g, seg, r0, r0_law, celsius, ra_used, point=pp,
                     target=pp)

    if point_params:
        raise ValueError(f"SpnpSpine parameters {sorted(point_params)} do not apply to an "
                         f"explicit spine ({law})")
    n = int(neck_nseg)
    if n < 1:
        raise ValueError(f"neck_nseg = {neck_nseg!r}: need at least 1")
    length = neck_g.length
    diam = 2.0 * math.sqrt(length / (math.pi * gamma))   # cylinder with the same Gamma
    if law == "explicit":
        ra_used = explicit_neck_ra(r0_law, gamma)
    else:
        ra_used = check_positive("ra", ra, "ohm cm")
    r0 = _cable_r(ra_used, gamma)
    neck_sec = h.Section(name=f"{name}_neck")
    head_sec = h.Section(name=f"{name}_head")
    neck_sec.L, neck_sec.diam, neck_sec.nseg = length, diam, n
    # a cylinder of length = diameter has the lateral area of the sphere (pi d^2)
    head_sec.L = head_sec.diam = geo.head_diam
    for sec in (neck_sec, head_sec):
        sec.Ra = ra_used
        sec.cm = cm
        if g_leak > 0:
            sec.insert("pas")
            for s in sec:
                s.pas.g = g_leak
                s.pas.e = e_leak
    neck_sec.connect(seg)
    head_sec.connect(neck_sec(1))
    if head_synapse == "spnp":
        shim_params = dict(rneck=_SHIM_RNECK, gleak=0.0, gfloor=1e-12)
        shim_params.update(syn)
        target = _spnp_point(h, head_sec(0.5), 0, Cylinder(geo.neck_len, geo.neck_diam / 2),
                             geo, shim_params)
    else:
        target = h.Exp2Syn(head_sec(0.5))
        target.tau1, target.tau2, target.e = syn["tau1"], syn["tau2"], syn["e_ampa"]
    return Spine(law, geo, neck_g, seg, r0, r0_law, celsius, ra_used, neck=neck_sec,
                 head=head_sec, target=target)


# ---------------------------------------------------------------------------- neuron

def d_lambda_nseg(length: float, diam: float, ra: float, cm: float,
                  d_lambda: float = 0.1, freq: float = 100.0) -> int:
    """Odd number of segments by the d_lambda rule (Hines & Carnevale 2001).

    Parameters
    ----------
    length, diam : float
        Section length and diameter [um].
    ra : float
        Axial resistivity [Ohm cm].
    cm : float
        Membrane capacitance [uF/cm2].
    d_lambda : float
        Largest segment length as a fraction of the AC length constant at ``freq`` [1].
    freq : float
        Frequency of the AC length constant [Hz].
    """
    lam = 1e5 * math.sqrt(diam / (4 * math.pi * freq * ra * cm))   # um
    return int((length / (d_lambda * lam) + 0.9) / 2) * 2 + 1


#: Soma parameter sets for NEURON's hh: "hh" = NEURON's defaults (Hodgkin & Huxley
#: 1952); "summary" = the biophysics summary's eq 9-11 ratios (tau = C/gL = 10 ms,
#: gNa = 400 gL, gK = 240 gL, EL = -70, ENa = 50, EK = -80 mV) with hh's kinetics.
SOMA_MODELS = {
    "hh": {},
    "summary": {"gl_hh": 1e-4, "gnabar_hh": 0.04, "gkbar_hh": 0.024, "el_hh": -70.0,
                "ena": 50.0, "ek": -80.0},
}


@dataclass
class SpinyNeuron:
    """A spiny neuron built by :func:`build_spiny_neuron`.

    Attributes
    ----------
    soma, dend : nrn.Section
        HH soma and passive dendrite.
    spines : list of Spine
        Spines on the dendrite, ordered by position.
    shaft_syn : hoc Exp2Syn
        Inhibitory synapse on the dendrite shaft near the soma (e = -80 mV).
    law : str
        Neck law of the spines.
    """

    soma: object
    dend: object
    spines: list
    shaft_syn: object
    law: str
    name: str = "cell"

    def spike_detector(self, threshold: float = 0.0):
        """A NetCon watching the soma voltage (no target), threshold [mV]."""
        h = _h()
        nc = h.NetCon(self.soma(0.5)._ref_v, None, sec=self.soma)
        nc.threshold = threshold
        return nc


def build_spiny_neuron(n_spines: int = 50, law: str = "pnp", spine="thin", *,
                       dend_length: float = 500.0, dend_diam: float = 1.0,
                       soma_diam: float = 20.0, soma: str = "hh", ra: float = TYPICAL_RA,
                       cm: float = 1.0, g_pas: float = 1e-4, e_pas: float = -65.0,
                       d_lambda: float = 0.1, spine_range=(0.05, 0.95),
                       name: str = "cell", spine_kwargs: dict | None = None) -> SpinyNeuron:
    """HH soma, one passive dendrite with ``n_spines`` spines, synapses on spine heads.

    Parameters
    ----------
    n_spines : int
        Number of spines, evenly spaced over ``spine_range`` of the dendrite.
    law : str
        Neck law of every spine (:data:`LAWS`).
    spine : str or SpineParams
        Spine geometry (:func:`spinepnp.spinesets.load_spine_params`).
    dend_length, dend_diam : float
        Dendrite length and diameter [um]; nseg by the d_lambda rule.
    soma_diam : float
        Soma length = diameter [um].
    soma : {"hh", "summary"}
        Soma parameters (:data:`SOMA_MODELS`), NEURON's ``hh`` mechanism.
    ra : float
        Axial resistivity of soma and dendrite [Ohm cm] (and of ``explicit-ra`` necks).
    cm : float
        Membrane capacitance [uF/cm2].
    g_pas, e_pas : float
        Dendrite (and spine) leak [S/cm2] and reversal [mV].
    d_lambda : float
        d_lambda rule fraction [1].
    spine_range : (float, float)
        Part of the dendrite (normalised position) that carries spines.
    name : str
        Section name prefix.
    spine_kwargs : dict, optional
        Passed on to :func:`attach_spine`.
    """
    if soma not in SOMA_MODELS:
        raise ValueError(f"soma = {soma!r}: valid soma models {', '.join(SOMA_MODELS)}")
    h = _h()
    s = h.Section(name=f"{name}_soma")
    s.L = s.diam = soma_diam
    s.Ra, s.cm = ra, cm
    s.insert("hh")
    for key, val in SOMA_MODELS[soma].items():
        setattr(s(0.5), key, val)
    d = h.Section(name=f"{name}_dend")
    d.L, d.diam, d.Ra, d.cm = dend_length, dend_diam, ra, cm
    d.nseg = d_lambda_nseg(dend_length, dend_diam, ra, cm, d_lambda)
    d.insert("pas")
    for seg in d:
        seg.pas.g, seg.pas.e = g_pas, e_pas
    d.connect(s(1))
    kw = dict(spine_kwargs or {})
    kw.setdefault("ra", ra)
    lo, hi = spine_range
    xs = np.linspace(lo, hi, n_spines) if n_spines > 1 else np.array([0.5 * (lo + hi)])
    spines = [attach_spine(d(float(x)), law, spine, name=f"{name}_spine{k}", **kw)
              for k, x in enumerate(xs[:max(int(n_spines), 0)])]
    shaft = h.Exp2Syn(d(0.05))
    shaft.tau1, shaft.tau2, shaft.e = 0.5, 5.0, -80.0
    return SpinyNeuron(s, d, spines, shaft, law, name)


# --------------------------------------------------------------------------- network

@dataclass(frozen=True)
class NetworkSpec:
    """Parameters of :func:`build_network` (the summary's eq 16 with spiny neurons).

    Cells ``0 .. n_exc - 1`` are excitatory (their synapses land on spine heads, AMPA +
    NMDA, reversal 0 mV); the rest are inhibitory (Exp2Syn on the dendrite shaft,
    reversal -80 mV): eq 16's presynaptic reversal E_j.

    Parameters
    ----------
    n_cells : int
        Number of neurons.
    frac_inh : float
        Fraction of inhibitory neurons [1].
    in_degree : int
        Presynaptic partners per neuron (fixed in-degree, no self-connections).
    w_exc, w_nmda : float
        AMPA and NMDA peak conductance of one excitatory connection [uS].
    w_inh : float
        Peak conductance of one inhibitory connection [uS].
    delay : (float, float)
        Uniform range of connection delays [ms] (the lower bound must be > 0).
    seed : int
        Seed of everything random (connectivity, external drive).
    n_spines : int
        Spines per neuron.
    law, spine : str
        Spine neck law and geometry.
    dend_length : float
        Dendrite length [um].
    n_ext, ext_rate, w_ext : int, float, float
        External Poisson drive per neuron: ``n_ext`` independent sources of ``ext_rate``
        [Hz] each on its own spine, AMPA weight ``w_ext`` [uS].
    soma : str
        Soma model (:data:`SOMA_MODELS`).
    """

    n_cells: int = 40
    frac_inh: float = 0.2
    in_degree: int = 6
    w_exc: float = 0.001
    w_nmda: float = 0.0002
    w_inh: float = 0.008
    delay: tuple = (1.0, 3.0)
    seed: int = 1
    n_spines: int = 20
    law: str = "pnp"
    spine: str = "thin"
    dend_length: float = 200.0
    n_ext: int = 5
    ext_rate: float = 20.0
    w_ext: float = 0.0015
    soma: str = "hh"

    @property
    def n_exc(self) -> int:
        """Number of excitatory neurons (gids below it)."""
        return self.n_cells - int(round(self.frac_inh * self.n_cells))


@dataclass(frozen=True)
class Connection:
    """One synapse: ``pre`` gid -> ``post`` gid, on spine ``spine`` (-1: shaft, inhibitory).

    ``ampa``, ``nmda`` [uS] (for a shaft synapse ``ampa`` is the GABA weight), ``delay``
    [ms].
    """

    pre: int
    post: int
    spine: int
    ampa: float
    nmda: float
    delay: float


def gids_on_rank(n_cells: int, rank: int, nhost: int) -> list:
    """Round-robin gid distribution: the gids owned by ``rank`` of ``nhost``."""
    if not 0 <= rank < nhost:
        raise ValueError(f"rank {rank} is not in [0, {nhost})")
    return list(range(rank, int(n_cells), nhost))


def network_connectivity(spec: NetworkSpec, post_gids=None) -> list:
    """The connections onto ``post_gids`` (default all), independent of the MPI layout.

    Each postsynaptic neuron draws its presynaptic partners, target spines and delays
    from its own generator seeded by ``(seed, post)``, so any split of the gids over
    ranks gives the same network.
    """
    n = int(spec.n_cells)
    if spec.in_degree > n - 1:
        raise ValueError(f"in_degree = {spec.in_degree} needs at least "
                         f"{spec.in_degree + 1} cells, have {n}")
    if not spec.delay[0] > 0:
        raise ValueError(f"delays must be > 0 ms for ParallelContext, got {spec.delay}")
    posts = range(n) if post_gids is None else post_gids
    out = []
    for post in posts:
        rng = np.random.default_rng([int(spec.seed), 0, int(post)])
        # the partners are drawn from the n - 1 other cells: index k stands for cell k
        # (k < post) or k + 1, so no list of the other cells is built (the draw, and
        # the network, are those of choosing from that list)
        k = rng.choice(n - 1, size=int(spec.in_degree), replace=False)
        pres = np.sort(k + (k >= post))
        spines = rng.integers(0, max(int(spec.n_spines), 1), size=len(pres))
        delays = rng.uniform(spec.delay[0], spec.delay[1], size=len(pres))
        for pre, sp, dl in zip(pres, spines, delays):
            pre = int(pre)
            if pre < spec.n_exc:
                out.append(Connection(pre, int(post), int(sp), spec.w_exc, spec.w_nmda,
                                      float(dl)))
            else:
                out.append(Connection(pre, int(post), -1, spec.w_inh, 0.0, float(dl)))
    return out


def external_spines(spec: NetworkSpec, gid: int) -> list:
    """Indices of the spines of cell ``gid`` that receive the external Poisson drive."""
    rng = np.random.default_rng([int(spec.seed), 1, int(gid)])
    k = min(int(spec.n_ext), int(spec.n_spines))
    return [int(i) for i in rng.choice(int(spec.n_spines), size=k, replace=False)]


@dataclass
class SpinyNetwork:
    """A network built by :func:`build_network` on this rank.

    Attributes
    ----------
    spec : NetworkSpec
    pc : hoc ParallelContext
    cells : dict
        gid -> SpinyNeuron, for the gids of this rank.
    connections : list of Connection
        The synapses onto this rank's cells.
    """

    spec: NetworkSpec
    pc: object
    cells: dict
    connections: list
    _keep: list = field(default_factory=list, repr=False)
    _tvec: object = None
    _idvec: object = None

    def run(self, tstop: float, dt: float | None = None) -> np.ndarray:
        """Simulate ``tstop`` [ms]; return all spikes of all ranks.

        Returns
        -------
        ndarray, shape (n, 2)
            Rows ``(gid, time [ms])`` sorted by gid then time, identical on every rank.
        """
        h = _h()
        if dt is not None:
            h.dt = dt
        self.pc.set_maxstep(10)
        h.stdinit()
        self.pc.psolve(tstop)
        from .validity import warn_invalid
        warn_invalid(context=f"SpinyNetwork rank {int(self.pc.id())}")
        local = list(zip(np.array(self._idvec).astype(int).tolist(),
                         np.array(self._tvec).tolist()))
        everything = self.pc.py_allgather(local)
        rows = sorted(r for part in everything for r in part)
        return np.array(rows, dtype=float).reshape(-1, 2)


def build_network(spec: NetworkSpec | None = None, pc=None) -> SpinyNetwork:
    """Build this rank's part of a network of spiny neurons (summary eq 16).

    The same script runs serially or under ``mpiexec -n N``: gids are distributed round
    robin (:func:`gids_on_rank`), each rank builds only its cells and the synapses onto
    them (``pc.gid_connect``), and all randomness is seeded per gid (connectivity by
    :func:`network_connectivity`; external Poisson drive by ``NetStim`` streams of
    Random123 keyed on ``(gid, source, seed)``). Any previous gids of ``pc`` are cleared:
    one network per process at a time. Under ``mpiexec`` the script must call
    ``h.nrnmpi_init()`` before creating the ParallelContext (``models/spiny_network.py``
    does so when it sees an MPI launcher's environment); spikes of a 2-rank run are
    identical to the serial run's (tested).

    Parameters
    ----------
    spec : NetworkSpec, optional
        Network parameters (defaults of :class:`NetworkSpec`).
    pc : hoc ParallelContext, optional
        Default ``h.ParallelContext()``.
    """
    h = _h()
    spec = spec or NetworkSpec()
    pc = pc or h.ParallelContext()
    pc.gid_clear()
    rank, nhost = int(pc.id()), int(pc.nhost())
    mine = gids_on_rank(spec.n_cells, rank, nhost)
    cells, keep = {}, []
    for gid in mine:
        cell = build_spiny_neuron(spec.n_spines, spec.law, spec.spine,
                                  dend_length=spec.dend_length, soma=spec.soma,
                                  name=f"cell{gid}")
        cells[gid] = cell
        pc.set_gid2node(gid, rank)
        pc.cell(gid, cell.spike_detector())
    conns = network_connectivity(spec, mine)
    for c in conns:
        cell = cells[c.post]
        if c.spine < 0:
            nc = pc.gid_connect(c.pre, cell.shaft_syn)
            nc.weight[0] = c.ampa
        else:
            sp = cell.spines[c.spine]
            nc = pc.gid_connect(c.pre, sp.target)
            sp.set_weights(nc, c.ampa, c.nmda)
        nc.delay = c.delay
        keep.append(nc)
    for gid in mine:
        cell = cells[gid]
        for j, k in enumerate(external_spines(spec, gid)):
            ns = h.NetStim()
            ns.interval = 1000.0 / spec.ext_rate
            ns.number = 1e9
            ns.start = 0.0
            ns.noise = 1.0
            ns.noiseFromRandom123(int(gid), int(j), int(spec.seed))
            nc = cell.spines[k].netcon(ns, spec.w_ext, 0.0, delay=1.0)
            keep.extend([ns, nc])
    tvec, idvec = h.Vector(), h.Vector()
    pc.spike_record(-1, tvec, idvec)
    return SpinyNetwork(spec, pc, cells, conns, keep, tvec, idvec)
