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

These names mean the same everywhere in spinepnp (comparisons, CSV files, figures):
``pnp`` is always the steady law, ``explicit`` always head and neck Sections, and the
numerical Poisson-Nernst-Planck solver (:mod:`spinepnp.pnp`) is always "full PNP". Every
law carries the same spine membrane (see :func:`attach_spine`), so two spines of
different laws differ only by their neck.

``R0 = VT Gamma / (2 C D F)`` is :func:`spinepnp.laws.ohmic_resistance` (paper eq 7 and
its general-profile form), ``Gamma = integral dx/S(x)`` of the neck [1/um]; the two
calibrated Ohmic references differ from ``pnp`` only by the nonlinearity. The typical Ra
is :data:`spinepnp.constants.DEFAULT_RA` = 150 Ohm cm (the law's own resistivity
``VT/(2 C D F)`` is about 59 Ohm cm at 20 degC, 167 mM, D = 1.33 um2/ms).

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
from .constants import DEFAULT_RA, UM2, US
from .geometry import Cylinder, Neck, check_positive
from .spinesets import SpineParams, load_spine_params
from .population import add_spines  # noqa: F401  (re-exported: spine populations)
from .replace import replace_explicit_spines  # noqa: F401  (re-exported)

__all__ = [
    "LAWS", "POINT_LAWS", "EXPLICIT_LAWS", "SPINE_KEYWORDS", "SYNAPSE_DEFAULTS",
    "HEAD_FLOOR",
    "Spine", "SpineProbe", "attach_spine", "attach_ion_spine", "ION_SYNAPSE_DEFAULTS",
    "explicit_neck_ra",
    "d_lambda_nseg", "SpinyNeuron", "build_spiny_neuron",
    "NetworkSpec", "NETWORK_SYNAPSES", "spine_positions", "Connection", "gids_on_rank",
    "network_connectivity", "external_spines", "NETWORK_OPTIONS", "QUICK_NETWORK",
    "add_network_arguments", "apply_quick_network", "network_spec_from_args",
    "SpinyNetwork", "build_network", "clamped_dendrite",
    "add_spines", "replace_explicit_spines",
]

#: Neck laws selectable in :func:`attach_spine` -> SpnpSpine mode (None: explicit Sections)
POINT_LAWS = {"pnp": 1, "pnp-dynamic": 2, "ohmic": 0, "ohmic-ra": 0}
EXPLICIT_LAWS = ("explicit", "explicit-ra")
LAWS = tuple(POINT_LAWS) + EXPLICIT_LAWS

#: Head synapse defaults (SpnpSpine names): AMPA and NMDA double exponentials [ms, mV, mM]
SYNAPSE_DEFAULTS = {"tau1": 0.2, "tau2": 2.0, "e_ampa": 0.0,
                    "nmda_tau1": 2.0, "nmda_tau2": 50.0, "e_nmda": 0.0, "mg": 1.0}
_EXP2SYN_KEYS = ("tau1", "tau2", "e_ampa")

#: The spine vocabulary of :func:`attach_spine`: keyword -> (unit, meaning, laws it
#: applies to). :func:`build_spiny_neuron`, the models' command lines (``--ra``,
#: ``--g-pas``, ``--e-pas``, ``--spine``) and their CSV columns (``ra_ohm_cm``) use the
#: same names in the same units.
SPINE_KEYWORDS = {
    "law": ("", "neck law", LAWS),
    "params": ("", "spine set: name, SpineParams or dict of its fields", LAWS),
    "neck": ("", "neck profile (Cylinder, Hyperboloid, Profile)", LAWS),
    "neck_len": ("um", "neck length", LAWS),
    "neck_diam": ("um", "neck diameter", LAWS),
    "head_diam": ("um", "head diameter (a sphere)", LAWS),
    "conc": ("mM", "salt concentration at the dendrite end", LAWS),
    "diffusion": ("um2/ms", "diffusion coefficient of the carrier cation", LAWS),
    "diff_anion": ("um2/ms", "diffusion coefficient of the anion", ("pnp-dynamic",)),
    "rneck": ("MOhm", "resistance of the Ohmic neck, default the law's R0", ("ohmic",)),
    "ra": ("ohm cm", "axial resistivity of a typical-Ra neck", ("ohmic-ra", "explicit-ra")),
    "g_pas": ("S/cm2", "spine membrane leak, default the parent segment's pas", LAWS),
    "e_pas": ("mV", "spine leak reversal, default the parent segment's pas", LAWS),
    "cm": ("uF/cm2", "spine membrane capacitance, default the parent segment's", LAWS),
    "synapse": ("", "head synapse parameters, SYNAPSE_DEFAULTS names", LAWS),
    "head_synapse": ("", "synapse of an explicit head: 'spnp' or 'exp2syn'",
                     EXPLICIT_LAWS),
    "neck_nseg": ("1", "segments of an explicit neck", EXPLICIT_LAWS),
    "name": ("", "name of the spine and base name of its Sections", LAWS),
}

# SpnpSpine parameter names that the vocabulary spells differently
_MECHANISM_ALIASES = {
    "mode": "law ('ohmic' = mode 0, 'pnp' = 1, 'pnp-dynamic' = 2)",
    "diff": "diffusion [um2/ms]",
    "gleak": "g_pas [S/cm2] (the head and neck leak is g_pas times their area)",
    "eleak": "e_pas [mV]",
    "gamma": "neck= (a geometry; Gamma follows from it)",
    "neck_vol": "neck= (a geometry; its volume follows from it)",
}

#: SpnpSpine's floor conductance to the leak reversal set by :func:`attach_spine` [uS]
#: (1 fS). It only keeps the head balance solvable when the neck saturates (a head with
#: no other conductance has no solution there); it is below 1/400 of a thin spine's
#: membrane leak at g_pas = 1e-4 S/cm2 (0.6 pS) and leaks to the same reversal, so it
#: shifts neither rest nor EPSPs measurably (the mechanism's own default, 1 pS, would
#: exceed that leak).
HEAD_FLOOR = 1e-9

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


def _need_spnp(h, mechanism="SpnpSpine"):
    from .loader import load_mechanisms
    load_mechanisms()
    if not hasattr(h, mechanism):
        raise RuntimeError(f"the {mechanism} mechanism is not available: spinepnp's "
                           f"mechanisms/{mechanism}.mod did not load (run `spinepnp build "
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
        One of :data:`LAWS`, or ``"pnp-ions"`` (:func:`attach_ion_spine`).
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
        Temperature used for ``r0`` [degC] (NEURON's ``h.celsius`` at attachment; the
        spine set's ``geometry.celsius`` is only the temperature of its quoted values).
    ra : float or None
        Axial resistivity of the neck [Ohm cm] for ``explicit*`` and ``ohmic-ra``.
    name : str
        Name of the spine (base name of explicit Sections).
    cm_fold : float
        Capacitance [uF/cm2] a point spine added to ``seg.cm`` (its head and neck
        membrane, see :func:`attach_spine`); 0 for explicit spines.
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
    name: str = "spine"
    cm_fold: float = 0.0
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
        return set_netcon_weights(nc, self.target, ampa, nmda)

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


def set_netcon_weights(nc, target, ampa: float, nmda: float = 0.0):
    """Set the weights of NetCon ``nc`` onto a spine's synapse ``target`` (SpnpSpine:
    AMPA and NMDA peak conductances [uS]; Exp2Syn: AMPA only)."""
    exp2syn = target.hname().startswith("Exp2Syn")
    if exp2syn and nmda:
        raise ValueError("this synapse is an Exp2Syn (AMPA only): give nmda = 0, or "
                         "attach the spine with head_synapse='spnp' to have NMDA")
    nc.weight[0] = float(ampa)
    if not exp2syn:
        nc.weight[1] = float(nmda)
    return nc


def _number(name, value, unit, *, nonneg=False):
    """``value`` as a finite (``nonneg``: and >= 0) float, or a ValueError naming it
    (positive values: :func:`spinepnp.geometry.check_positive`)."""
    try:
        val = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} is not a number; give it in {unit}") from None
    if not math.isfinite(val) or (nonneg and not val >= 0):
        need = "a finite number >= 0" if nonneg else "a finite number"
        raise ValueError(f"{name} = {value!r} {unit}: it must be {need}")
    return val


def _check_vocabulary(law, given, point_params, synapse, head_synapse):
    """Every keyword of :func:`attach_spine` takes effect for ``law`` or raises."""
    for key, value in given.items():
        if value is not None and law not in SPINE_KEYWORDS[key][2]:
            raise ValueError(
                f"{key} = {value!r} has no effect with law={law!r}; it applies to law "
                f"{' or '.join(repr(x) for x in SPINE_KEYWORDS[key][2])} only ({key}: "
                f"{SPINE_KEYWORDS[key][1]})")
    for key in point_params:
        if key in _MECHANISM_ALIASES:
            raise ValueError(f"{key} is SpnpSpine's own name; attach_spine says "
                             f"{_MECHANISM_ALIASES[key]}")
        if key in SYNAPSE_DEFAULTS:
            raise ValueError(f"{key} is a head synapse parameter: give it as "
                             f"synapse=dict({key}=...)")
    if point_params and law in EXPLICIT_LAWS:
        raise ValueError(f"SpnpSpine parameters {sorted(point_params)} do not apply to an "
                         f"explicit spine ({law})")
    unknown = sorted(set(synapse) - set(SYNAPSE_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown synapse parameter(s) {', '.join(unknown)}; known: "
                         f"{', '.join(SYNAPSE_DEFAULTS)}")
    if head_synapse == "exp2syn":
        nmda = sorted(k for k in synapse if k not in _EXP2SYN_KEYS)
        if nmda:
            raise ValueError(f"synapse parameter(s) {', '.join(nmda)} have no effect on an "
                             "Exp2Syn head synapse (AMPA only): use head_synapse='spnp'")


def _leak(seg, g_pas, e_pas):
    """Spine leak (g [S/cm2], e [mV]): given, else the parent segment's ``pas``."""
    has_pas = hasattr(seg, "pas")
    if g_pas is None:
        g = float(seg.pas.g) if has_pas else 0.0
    else:
        g = _number("g_pas", g_pas, "S/cm2", nonneg=True)
    if e_pas is not None:
        e = _number("e_pas", e_pas, "mV")
    elif has_pas:
        e = float(seg.pas.e)
    elif g > 0:
        raise ValueError(f"g_pas = {g_pas!r} S/cm2 needs its reversal: the parent segment "
                         f"{seg} has no pas to take it from, so give e_pas [mV]")
    else:
        e = None          # no leak: the floor conductance leaks to v_init
    return g, e


def _spine_geometry(params, neck, neck_len, neck_diam, head_diam):
    """(SpineParams, neck geometry, its Gamma [1/um]) from the geometry keywords."""
    geo = load_spine_params(params)
    changes = {k: v for k, v in (("neck_len", neck_len), ("neck_diam", neck_diam),
                                 ("head_diam", head_diam)) if v is not None}
    if neck is not None and (neck_len is not None or neck_diam is not None):
        raise ValueError("neck_len and neck_diam describe the cylinder that neck= "
                         "replaces: give neck= or neck_len/neck_diam, not both")
    if changes:
        geo = geo.replace(**changes)
    neck_g = neck if neck is not None else geo.neck
    gamma = check_positive("neck.gamma", getattr(neck_g, "gamma", None), "1/um")
    return geo, neck_g, gamma


def _equivalent_diam(neck_g, gamma) -> float:
    """Diameter [um] of the cylinder with the neck's length and Gamma."""
    return 2.0 * math.sqrt(neck_g.length / (math.pi * gamma))


def _spine_area(geo, neck_g, gamma) -> float:
    """Spine membrane [um2]: the head sphere and the cylinder of the neck's Gamma."""
    return geo.head_area + math.pi * _equivalent_diam(neck_g, gamma) * neck_g.length


def _check_fold(seg):
    if not float(seg.area()) > 0:
        raise ValueError(f"{seg} has no membrane area (a section end?): a point spine "
                         "folds its membrane capacitance into its segment, so attach "
                         "it at an interior x")


def _fold_capacitance(seg, cm_spine, area) -> float:
    """Fold a point spine's membrane capacitance into ``seg`` (see attach_spine's Notes);
    returns the added cm [uF/cm2]."""
    cm_fold = cm_spine * area / float(seg.area())
    seg.cm += cm_fold
    return cm_fold


def _spnp_point(h, seg, mode, neck, geo, point_params):
    """Create and configure one SpnpSpine (the only SpnpSpine-specific code here)."""
    from .spine import configure_spine
    _need_spnp(h)
    pp = h.SpnpSpine(seg)
    configure_spine(pp, neck=neck, mode=mode, head_diam=geo.head_diam, **point_params)
    return pp


def attach_spine(seg, law: str = "pnp", params="thin", *, neck: Neck | None = None,
                 neck_len: float | None = None, neck_diam: float | None = None,
                 head_diam: float | None = None, conc: float = 167.0,
                 diffusion: float = 1.33, diff_anion: float | None = None,
                 rneck: float | None = None, ra: float | None = None,
                 g_pas: float | None = None, e_pas: float | None = None,
                 cm: float | None = None, synapse: dict | None = None,
                 head_synapse: str | None = None, neck_nseg: int | None = None,
                 name: str = "spine", **point_params) -> Spine:
    """Attach one spine to a dendrite segment, with the chosen neck law.

    The keywords are spinepnp's spine vocabulary (:data:`SPINE_KEYWORDS`, with units and
    the laws each applies to). A keyword that would have no effect with the chosen law
    raises a ValueError that names it.

    Parameters
    ----------
    seg : nrn.Segment
        Dendrite segment, e.g. ``dend(0.5)`` (for point laws an interior one: its
        membrane receives the spine's, see Notes).
    law : str
        One of :data:`LAWS` (see the module docstring).
    params : str, SpineParams or dict
        Spine geometry: a name of :mod:`spinepnp.spinesets` (``"thin"``, ``"mushroom"``,
        ``"stubby"``, ``"paper"``), a :class:`SpineParams`, or a dict of its fields
        (``neck_len``, ``neck_diam``, ``head_diam`` [um]).
    neck : Cylinder, Hyperboloid or Profile, optional
        Neck profile replacing the cylinder of ``params`` (its ``length`` is used). An
        explicit spine then uses the cylinder of the same length and the same Gamma.
    neck_len, neck_diam, head_diam : float, optional
        Override the fields of ``params`` [um].
    conc : float
        Salt concentration at the dendrite end [mM].
    diffusion : float
        Diffusion coefficient of the carrier cation [um2/ms].
    diff_anion : float, optional
        Diffusion coefficient of the anion [um2/ms]; ``pnp-dynamic`` only (default
        2.03, Cl-).
    rneck : float, optional
        Neck resistance of an ``ohmic`` spine [MOhm] (default: the law's R0).
    ra : float, optional
        Axial resistivity of the ``ohmic-ra`` and ``explicit-ra`` necks [Ohm cm]
        (default :data:`spinepnp.constants.DEFAULT_RA`).
    g_pas, e_pas : float, optional
        Spine membrane leak [S/cm2] and reversal [mV]; default: the parent segment's
        ``pas`` (no leak if it has none).
    cm : float, optional
        Spine membrane capacitance [uF/cm2]; default: the parent segment's ``cm``.
    synapse : dict, optional
        Head synapse parameters (SpnpSpine names, see :data:`SYNAPSE_DEFAULTS`).
    head_synapse : {"spnp", "exp2syn"}, optional
        Synapse of an explicit spine (default ``"spnp"``): an SpnpSpine with a 1 kOhm
        neck in the head (AMPA + NMDA, same kinetics as the drop-in spine) or an Exp2Syn
        (AMPA only).
    neck_nseg : int, optional
        Segments of an explicit neck (default 1).
    name : str
        Name of the spine (``Spine.name``), base name of explicit Sections.
    **point_params
        Further SpnpSpine parameters without a name above (``iinj``, ``gfloor``,
        ``cmin``, ``refresh`` and the ring parameters ``gna_head``, ...); point laws
        only.

    Returns
    -------
    Spine

    Notes
    -----
    Membrane: every law carries the same spine membrane, so the laws differ only by
    the neck. An explicit spine has ``pas`` (``g_pas``, ``e_pas``) and ``cm`` on its
    head and neck Sections. A point spine (SpnpSpine) has a quasi-static head without
    capacitance: it carries the leak of the head and neck, ``gleak = g_pas * (head
    area + neck area)`` to ``eleak = e_pas``, and folds their capacitance into the
    parent segment (``seg.cm`` grows by ``cm * spine area / seg.area()``, recorded in
    ``Spine.cm_fold``). This is exact to the head's charging time R0 C_head (about
    1 us). The fold is part of the segment's ``cm``: attach spines after setting
    ``nseg``, ``cm`` and ``pas`` of the dendrite; a later ``sec.cm = ...`` removes it.
    The neck's leak sits at the head in the point spine (half-way along the neck in
    the explicit one); at 1 pS/um2 it is a few tenths of a pS. SpnpSpine's floor
    conductance ``gfloor`` (to the same reversal; to ``h.v_init`` for a spine without
    leak) is set to :data:`HEAD_FLOOR`.
    """
    if law == "pnp-ions":
        raise ValueError("law 'pnp-ions' (SpnpSpineIons, a spine in real cytoplasm) has "
                         "its own keywords (species=...): use "
                         "spinepnp.build.attach_ion_spine(seg, params, ...)")
    if law not in LAWS:
        raise ValueError(f"unknown law {law!r}; valid laws: {', '.join(LAWS)}")
    synapse = dict(synapse or {})
    given = dict(diff_anion=diff_anion, rneck=rneck, ra=ra, head_synapse=head_synapse,
                 neck_nseg=neck_nseg)
    _check_vocabulary(law, given, point_params, synapse, head_synapse)
    head_synapse = head_synapse or "spnp"
    if head_synapse not in ("spnp", "exp2syn"):
        raise ValueError(f"head_synapse = {head_synapse!r}: use 'spnp' or 'exp2syn'")
    h = _h()
    geo, neck_g, gamma = _spine_geometry(params, neck, neck_len, neck_diam, head_diam)
    conc = check_positive("conc", conc, "mM")
    diffusion = check_positive("diffusion", diffusion, "um2/ms")
    celsius = float(h.celsius)
    r0_law = laws.ohmic_resistance(neck_g, conc, diffusion, celsius)
    syn = dict(SYNAPSE_DEFAULTS)
    syn.update(synapse)
    g_leak, e_leak = _leak(seg, g_pas, e_pas)
    cm_spine = float(seg.cm) if cm is None else check_positive("cm", cm, "uF/cm2")
    ra_typical = (check_positive("ra", DEFAULT_RA if ra is None else ra, "ohm cm")
                  if law in SPINE_KEYWORDS["ra"][2] else None)
    length = neck_g.length
    diam = _equivalent_diam(neck_g, gamma)
    area = _spine_area(geo, neck_g, gamma)

    if law in POINT_LAWS:
        _check_fold(seg)
        mode = POINT_LAWS[law]
        pp_params = dict(conc=conc, diff=diffusion, rneck=0.0, ra=0.0,
                         gleak=g_leak * area * _GAREA_TO_US,
                         eleak=float(h.v_init) if e_leak is None else e_leak,
                         gfloor=HEAD_FLOOR)
        if diff_anion is not None:
            pp_params["diff_anion"] = check_positive("diff_anion", diff_anion, "um2/ms")
        r0, ra_used = r0_law, None
        if law == "ohmic" and rneck is not None:
            r0 = pp_params["rneck"] = check_positive("rneck", rneck, "MOhm")
        elif law == "ohmic-ra":
            ra_used = pp_params["ra"] = ra_typical
            r0 = _cable_r(ra_used, gamma)
        pp_params.update(syn)
        pp_params.update(point_params)
        pp = _spnp_point(h, seg, mode, neck_g, geo, pp_params)
        cm_fold = _fold_capacitance(seg, cm_spine, area)
        return Spine(law, geo, neck_g, seg, r0, r0_law, celsius, ra_used, name=name,
                     cm_fold=cm_fold, point=pp, target=pp)

    n = 1 if neck_nseg is None else check_positive("neck_nseg", neck_nseg, "1")
    if n != int(n):
        raise ValueError(f"neck_nseg = {neck_nseg!r}: give a whole number of segments")
    n = int(n)
    ra_used = explicit_neck_ra(r0_law, gamma) if law == "explicit" else ra_typical
    r0 = _cable_r(ra_used, gamma)
    neck_sec = h.Section(name=f"{name}_neck")
    head_sec = h.Section(name=f"{name}_head")
    neck_sec.L, neck_sec.diam, neck_sec.nseg = length, diam, n
    # a cylinder of length = diameter has the lateral area of the sphere (pi d^2)
    head_sec.L = head_sec.diam = geo.head_diam
    for sec in (neck_sec, head_sec):
        sec.Ra = ra_used
        sec.cm = cm_spine
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
    return Spine(law, geo, neck_g, seg, r0, r0_law, celsius, ra_used, name=name,
                 neck=neck_sec, head=head_sec, target=target)


#: Head synapse parameters of ``SpnpSpineIons`` and their defaults (those of
#: :data:`SYNAPSE_DEFAULTS`): its AMPA and NMDA currents have no reversal parameter, it
#: follows from the ions they carry (``pk_pna``, ``ca_frac``: see the mechanism)
ION_SYNAPSE_DEFAULTS = {k: SYNAPSE_DEFAULTS[k]
                        for k in ("tau1", "tau2", "nmda_tau1", "nmda_tau2", "mg")}


def attach_ion_spine(seg, params="thin", *, neck: Neck | None = None,
                     neck_len: float | None = None, neck_diam: float | None = None,
                     head_diam: float | None = None, species=None,
                     g_pas: float | None = None, e_pas: float | None = None,
                     cm: float | None = None, synapse: dict | None = None,
                     name: str = "spine", **point_params) -> Spine:
    """Attach one spine in real cytoplasm (``SpnpSpineIons``) to a dendrite segment.

    The multi-species neck and head (Na, K, Cl, Ca and a fixed anion; law name
    ``"pnp-ions"``) with the keywords of :func:`attach_spine`, which they mean the same
    here: the geometry (``params``, ``neck``, ``neck_len``, ``neck_diam``,
    ``head_diam``), the membrane (``g_pas``, ``e_pas``, ``cm``: the leak of the head and
    neck, carried by K in this mechanism, and their capacitance folded into ``seg``) and
    the head synapse (``synapse``, names of :data:`ION_SYNAPSE_DEFAULTS`).

    The spine reads its bulk concentrations from the segment's ``nai``, ``ki``,
    ``cli`` and ``cai`` at every step: NEURON's defaults are not a cytoplasm, so set
    them (:func:`spinepnp.ions.set_cytoplasm`, after attaching: the ions exist on a
    section only once a mechanism uses them) before ``h.finitialize``.

    Parameters
    ----------
    seg : nrn.Segment
        Dendrite segment (an interior one).
    species : list of Species or None
        The cytoplasm's species (default :func:`spinepnp.ions.cytoplasm`): their
        diffusion coefficients and the fixed anion's concentration
        (:func:`spinepnp.ions.ion_spine_parameters`). Their concentrations are what
        :func:`~spinepnp.ions.set_cytoplasm` should give the dendrite.
    **point_params
        Further ``SpnpSpineIons`` parameters in its units (``iinj_na`` [nA],
        ``pk_pna``, ``ca_frac``, ``ca_buffer`` [1], ``ca_tau`` [ms], ``gna_head`` [uS],
        ...).

    Returns
    -------
    Spine
        ``law = "pnp-ions"``; ``r0`` and ``r0_law`` the neck's resistance in the bulk
        cytoplasm, ``VT Gamma / (F sum z^2 D c)`` [MOhm] (the instantaneous resistance
        at rest); ``point`` and ``target`` the ``SpnpSpineIons``.
    """
    from .constants import FARADAY, MM, NA, UM, UM2_PER_MS, thermal_voltage
    from .ions import cytoplasm, insert_ions, ion_spine_parameters
    synapse = dict(synapse or {})
    bad = sorted(set(synapse) - set(ION_SYNAPSE_DEFAULTS))
    if bad:
        raise ValueError(f"synapse parameter(s) {', '.join(bad)} do not apply to "
                         "SpnpSpineIons (its AMPA and NMDA reversal follows from their "
                         f"ions); known: {', '.join(ION_SYNAPSE_DEFAULTS)}")
    for key in point_params:
        if key in ("gleak", "eleak", "gamma", "neck_vol"):
            raise ValueError(f"{key} is SpnpSpineIons's own name; attach_ion_spine says "
                             f"{_MECHANISM_ALIASES[key]}")
    h = _h()
    _need_spnp(h, "SpnpSpineIons")
    geo, neck_g, gamma = _spine_geometry(params, neck, neck_len, neck_diam, head_diam)
    sp = cytoplasm() if species is None else list(species)
    values = ion_spine_parameters(sp)
    g_leak, e_leak = _leak(seg, g_pas, e_pas)
    cm_spine = float(seg.cm) if cm is None else check_positive("cm", cm, "uF/cm2")
    area = _spine_area(geo, neck_g, gamma)
    _check_fold(seg)
    values.update(neck_len=neck_g.length, neck_diam=_equivalent_diam(neck_g, gamma),
                  gamma=gamma, neck_vol=check_positive("neck.volume", neck_g.volume,
                                                       "um3"),
                  head_diam=geo.head_diam, gleak=g_leak * area * _GAREA_TO_US,
                  eleak=float(h.v_init) if e_leak is None else e_leak)
    values.update(ION_SYNAPSE_DEFAULTS)
    values.update(synapse)
    values.update(point_params)
    insert_ions([seg.sec])          # before the point process: see insert_ions
    pp = h.SpnpSpineIons(seg)
    for key, value in values.items():
        if not hasattr(pp, key):
            raise ValueError(f"unknown SpnpSpineIons parameter {key!r}")
        setattr(pp, key, _number(key, value, "the mechanism's unit"))
    cm_fold = _fold_capacitance(seg, cm_spine, area)
    celsius = float(h.celsius)
    sigma = sum(s.z ** 2 * s.diffusion * s.conc for s in sp if s.diffusion > 0)
    # VT Gamma / (F sigma) in SI units; mV/nA is MOhm
    r0 = thermal_voltage(celsius) * gamma / (sigma * MM * UM2_PER_MS * FARADAY * UM) * NA
    return Spine("pnp-ions", geo, neck_g, seg, r0, r0, celsius, None, name=name,
                 cm_fold=cm_fold, point=pp, target=pp)


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
                       soma_diam: float = 20.0, soma: str = "hh", ra: float = DEFAULT_RA,
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
        Axial resistivity of soma and dendrite [Ohm cm] (and of the ``ohmic-ra`` and
        ``explicit-ra`` necks).
    cm : float
        Membrane capacitance [uF/cm2] (spines too: a point spine's is folded into the
        dendrite's segments, see :func:`attach_spine`).
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
    if law in ("ohmic-ra", "explicit-ra"):
        kw.setdefault("ra", ra)
    spines = [attach_spine(d(float(x)), law, spine, name=f"{name}_spine{k}", **kw)
              for k, x in enumerate(spine_positions(n_spines, spine_range))]
    shaft = h.Exp2Syn(d(0.05))
    shaft.tau1, shaft.tau2, shaft.e = 0.5, 5.0, -80.0
    return SpinyNeuron(s, d, spines, shaft, law, name)


# --------------------------------------------------------------------------- network

#: Where a network's excitatory synapses land (:attr:`NetworkSpec.synapses`).
NETWORK_SYNAPSES = ("spines", "dendrite", "none")


def spine_positions(n_spines: int, spine_range=(0.05, 0.95)) -> np.ndarray:
    """Normalised dendrite positions of ``n_spines`` evenly spaced spines (the middle of
    ``spine_range`` for one spine, none for 0)."""
    lo, hi = spine_range
    n = max(int(n_spines), 0)
    return np.linspace(lo, hi, n) if n > 1 else np.array([0.5 * (lo + hi)])[:n]


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
    synapses : {"spines", "dendrite", "none"}
        Where the excitatory synapses and the external drive land: ``"spines"`` on the
        spine heads (neck law ``law``); ``"dendrite"`` no spines, an AMPA Exp2Syn on the
        dendrite where each spine would be (the spine-less baseline; needs
        ``w_nmda = 0``); ``"none"`` no excitatory synapses and no drive (the cells with
        their inhibitory wiring only: a memory baseline).
    head_synapse : {"spnp", "exp2syn"}
        Synapse of an explicit spine's head (:func:`attach_spine`).
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
    synapses: str = "spines"
    head_synapse: str = "spnp"

    def __post_init__(self):
        if self.synapses not in NETWORK_SYNAPSES:
            raise ValueError(f"synapses = {self.synapses!r}: use one of "
                             f"{', '.join(NETWORK_SYNAPSES)}")
        if self.head_synapse not in ("spnp", "exp2syn"):
            raise ValueError(f"head_synapse = {self.head_synapse!r}: use 'spnp' or "
                             "'exp2syn'")
        if self.synapses == "dendrite" and self.w_nmda:
            raise ValueError(f"synapses = 'dendrite' puts AMPA-only Exp2Syns on the "
                             f"dendrite; set w_nmda = 0 (got {self.w_nmda!r} uS)")

    @property
    def n_exc(self) -> int:
        """Number of excitatory neurons (gids below it)."""
        return self.n_cells - int(round(self.frac_inh * self.n_cells))


#: Command-line help of the NetworkSpec fields that scripts expose (``--n-cells`` ...).
NETWORK_OPTIONS = {
    "n_cells": "number of neurons",
    "frac_inh": "fraction of inhibitory cells",
    "in_degree": "presynaptic partners per neuron",
    "n_spines": "spines per neuron",
    "spine": "spine set (thin, mushroom, stubby, paper)",
    "dend_length": "dendrite length [um]",
    "soma": "soma model: hh or summary (eq 9 ratios)",
    "w_exc": "excitatory AMPA peak conductance [uS]",
    "w_nmda": "excitatory NMDA peak conductance [uS]",
    "w_inh": "inhibitory peak conductance [uS]",
    "n_ext": "external Poisson sources per cell",
    "ext_rate": "rate of each external source [Hz]",
    "w_ext": "external AMPA peak conductance [uS]",
    "seed": "seed of connectivity and drive",
}
#: What ``--quick`` makes of a network script's run: at most these sizes, and tstop [ms].
QUICK_NETWORK = {"n_cells": 12, "n_spines": 10, "in_degree": 4, "tstop": 100.0}


def add_network_arguments(parser, names=tuple(NETWORK_OPTIONS)):
    """Add ``--n-cells``, ``--n-spines`` ... (the :class:`NetworkSpec` fields ``names``)
    with NetworkSpec's defaults, and ``--quick`` (:func:`apply_quick_network`)."""
    d = NetworkSpec()
    for name in names:
        default = getattr(d, name)
        parser.add_argument("--" + name.replace("_", "-"), type=type(default),
                            default=default, help=NETWORK_OPTIONS[name])
    parser.add_argument("--quick", action="store_true",
                        help="short run for tests ({})".format(", ".join(
                            f"{k} {v:g}" for k, v in QUICK_NETWORK.items())))


def apply_quick_network(args):
    """With ``args.quick``, cap the sizes and ``args.tstop`` in place by
    :data:`QUICK_NETWORK`; returns ``args``."""
    if getattr(args, "quick", False):
        for key, cap in QUICK_NETWORK.items():
            if hasattr(args, key):
                setattr(args, key, type(getattr(args, key))(min(getattr(args, key), cap)))
    return args


def network_spec_from_args(args, **fields) -> NetworkSpec:
    """The NetworkSpec of parsed :func:`add_network_arguments` options (``fields``
    override them)."""
    given = {k: getattr(args, k) for k in NETWORK_OPTIONS if hasattr(args, k)}
    return NetworkSpec(**dict(given, **fields))


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
    synapses : dict
        gid -> the excitatory synapse (NetCon target) of each spine index: the spine
        heads' synapses, or the dendrite's Exp2Syns for ``synapses = "dendrite"``.
    """

    spec: NetworkSpec
    pc: object
    cells: dict
    connections: list
    _keep: list = field(default_factory=list, repr=False)
    _tvec: object = None
    _idvec: object = None
    synapses: dict = field(default_factory=dict, repr=False)
    _sections: list = field(default_factory=list, repr=False)

    def local_spikes(self) -> list:
        """The spikes of this rank's cells so far: ``(gid, t [ms])`` sorted."""
        return sorted(zip(np.array(self._idvec).astype(int).tolist(),
                          np.array(self._tvec).tolist()))

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
        everything = self.pc.py_allgather(self.local_spikes())
        rows = sorted(r for part in everything for r in part)
        return np.array(rows, dtype=float).reshape(-1, 2)


def build_network(spec: NetworkSpec | None = None, pc=None, *,
                  keep_spines: bool = True) -> SpinyNetwork:
    """Build this rank's part of a network of spiny neurons (summary eq 16).

    The same script runs serially or under ``mpiexec -n N``: gids are distributed round
    robin (:func:`gids_on_rank`), each rank builds only its cells and the synapses onto
    them (``pc.gid_connect``), and all randomness is seeded per gid (connectivity by
    :func:`network_connectivity`; external Poisson drive by ``NetStim`` streams of
    Random123 keyed on ``(gid, source, seed)``). Any previous gids of ``pc`` are cleared:
    one network per process at a time. Under ``mpiexec`` the script must call
    ``h.nrnmpi_init()`` before creating the ParallelContext (``spinepnp.parallel.init``
    does so when it sees an MPI launcher's environment); spikes of a 2-rank run are
    identical to the serial run's (tested). Every network of spinepnp (models,
    comparisons, the MPI script, the scaling benchmark) is built here.

    Parameters
    ----------
    spec : NetworkSpec, optional
        Network parameters (defaults of :class:`NetworkSpec`).
    pc : hoc ParallelContext, optional
        Default ``h.ParallelContext()``.
    keep_spines : bool
        False: drop the per-spine Python records (:class:`Spine`) once wired, keeping
        only the NEURON objects (``cell.spines`` is then empty): what a model that keeps
        no per-spine Python objects costs in memory. The simulation is the same.
    """
    h = _h()
    spec = spec or NetworkSpec()
    pc = pc or h.ParallelContext()
    pc.gid_clear()
    rank, nhost = int(pc.id()), int(pc.nhost())
    mine = gids_on_rank(spec.n_cells, rank, nhost)
    on_spines = spec.synapses == "spines"
    cells, keep, targets, lean = {}, [], {}, []
    for gid in mine:
        cell = build_spiny_neuron(spec.n_spines if on_spines else 0, spec.law, spec.spine,
                                  dend_length=spec.dend_length, soma=spec.soma,
                                  name=f"cell{gid}",
                                  spine_kwargs=({"head_synapse": spec.head_synapse}
                                                if spec.law in EXPLICIT_LAWS else None))
        targets[gid] = _excitatory_targets(h, spec, cell)
        if not keep_spines:
            # at once, so the records of all cells never exist together: keep only the
            # NEURON objects (a point process or Section without a reference is deleted)
            lean += [obj for sp in cell.spines for obj in (sp.neck, sp.head)
                     if obj is not None]
            cell.spines = []
        cells[gid] = cell
        pc.set_gid2node(gid, rank)
        pc.cell(gid, cell.spike_detector())
    conns = network_connectivity(spec, mine)
    for c in conns:
        if c.spine < 0:
            nc = pc.gid_connect(c.pre, cells[c.post].shaft_syn)
            nc.weight[0] = c.ampa
        elif targets[c.post]:
            target = targets[c.post][c.spine]
            nc = set_netcon_weights(pc.gid_connect(c.pre, target), target, c.ampa, c.nmda)
        else:
            continue                   # synapses = "none"
        nc.delay = c.delay
        keep.append(nc)
    for gid in mine:
        for j, k in enumerate(external_spines(spec, gid) if targets[gid] else ()):
            ns = h.NetStim()
            ns.interval = 1000.0 / spec.ext_rate
            ns.number = 1e9
            ns.start = 0.0
            ns.noise = 1.0
            ns.noiseFromRandom123(int(gid), int(j), int(spec.seed))
            target = targets[gid][k]
            nc = set_netcon_weights(h.NetCon(ns, target), target, spec.w_ext, 0.0)
            nc.delay = 1.0
            keep.extend([ns, nc])
    tvec, idvec = h.Vector(), h.Vector()
    pc.spike_record(-1, tvec, idvec)
    return SpinyNetwork(spec, pc, cells, conns, keep, tvec, idvec, synapses=targets,
                        _sections=lean)


def _excitatory_targets(h, spec: NetworkSpec, cell: SpinyNeuron) -> list:
    """The synapse (NetCon target) of each spine index of ``cell``: the spine heads', or
    for ``synapses = "dendrite"`` new Exp2Syns on the dendrite at the spine positions,
    or none."""
    if spec.synapses == "spines":
        return [sp.target for sp in cell.spines]
    if spec.synapses == "none":
        return []
    out = []
    for x in spine_positions(spec.n_spines):
        syn = h.Exp2Syn(cell.dend(float(x)))
        syn.tau1, syn.tau2 = SYNAPSE_DEFAULTS["tau1"], SYNAPSE_DEFAULTS["tau2"]
        syn.e = SYNAPSE_DEFAULTS["e_ampa"]
        out.append(syn)
    return out


# ----------------------------------------------------------------------- test rigs

def clamped_dendrite(v: float = -65.0, *, rs: float = 1e-9, name: str = "dend"):
    """A short, thick dendrite held at ``v`` [mV] by an ideal voltage clamp (SEClamp).

    Point processes placed on it see a fixed dendrite voltage, so several of them do not
    interact: each moves ``v`` by its current times the series resistance ``rs`` [MOhm]
    (1e-9 MOhm: 1e-10 mV per 0.1 nA). The spinepnp mechanisms are loaded. Returns
    ``(dend, clamp)``; delete ``dend`` when done.
    """
    h = _h()
    from .loader import load_mechanisms
    load_mechanisms()
    if not (math.isfinite(v) and math.isfinite(rs) and rs > 0):
        raise ValueError(f"clamped_dendrite(v={v!r} mV, rs={rs!r} MOhm): give a finite "
                         "voltage and a series resistance > 0")
    dend = h.Section(name=name)
    dend.L, dend.diam, dend.nseg = 10.0, 10.0, 1
    clamp = h.SEClamp(dend(0.5))
    clamp.dur1, clamp.amp1, clamp.rs = 1e9, v, rs
    return dend, clamp
