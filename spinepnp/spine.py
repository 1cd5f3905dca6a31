"""Python helpers for the ``SpnpSpine`` point process (a whole spine in one mechanism).

``SpnpSpine`` (``mechanisms/SpnpSpine.mod``) sits in a dendrite segment and treats the
spine head as an internal node in quasi-static balance with its neck (docs/physics.rst,
section "The one-point-process embedding"). This module computes its neck parameters from a geometry of
:mod:`spinepnp.geometry` with the laws of :mod:`spinepnp.laws`, and sets them on an
instance. Importing it does not import NEURON; the functions that need NEURON import it
when called.

Sign convention: ``ineck`` [nA] is positive from the head to the dendrite; NEURON's
point-process current ``i`` is outward positive, so ``i = -ineck``.
"""

from __future__ import annotations

import math

from .geometry import Cylinder, Neck, check_positive

__all__ = ["MODES", "PARAMETERS", "OUTPUTS", "neck_parameters", "configure_spine",
           "add_spine", "head_volume"]

#: Neck laws selected by ``SpnpSpine.mode``.
MODES = {0: "ohmic", 1: "steady PNP law", 2: "dynamic electroneutral neck"}

#: Ring conductances: in modes 1 and 2 a spine with all four at 0 at finitialize runs in
#: its fast configuration, which ignores rings switched on later in that run.
_RING_NOTE = ("; in modes 1 and 2 a ring takes part in a run only if some ring conductance "
              "is > 0 at finitialize (1e-12 uS reserves it)")
_NECK_RING_NOTE = (_RING_NOTE + "; in mode 2 a neck ring's own (gna_neck or gbz_neck) "
                   "must be, since the neck's grid puts a node on the ring there")

#: Parameters of SpnpSpine: name -> (unit, meaning). The names are a contract.
PARAMETERS = {
    "mode": ("1", "neck law: 0 Ohmic, 1 steady PNP law, 2 dynamic electroneutral neck"),
    "rneck": ("MOhm", "mode 0 neck resistance (0: ra*gamma if ra > 0, else the law's R0)"),
    "ra": ("ohm cm", "mode 0 axial resistivity used when rneck = 0"),
    "gamma": ("1/um", "integral dx/S(x) over the neck (0: cylinder neck_len, neck_diam)"),
    "neck_len": ("um", "neck length"),
    "neck_diam": ("um", "neck diameter (cylinder)"),
    "neck_vol": ("um3", "neck volume for mode 2 (0: cylinder)"),
    "head_diam": ("um", "head diameter (a sphere; its volume matters in mode 2 only)"),
    "conc": ("mM", "salt concentration at the dendrite end"),
    "diff": ("um2/ms", "diffusion coefficient of the current carrier (cation)"),
    "diff_anion": ("um2/ms", "diffusion coefficient of the anion (mode 2)"),
    "cmin": ("mM", "concentration floor of the mode 2 conductance"),
    "iinj": ("nA", "constant current into the head (positive inward)"),
    "gleak": ("uS", "head leak conductance"),
    "eleak": ("mV", "head leak reversal"),
    "gfloor": ("uS", "floor conductance to eleak keeping the head balance solvable"),
    "tau1": ("ms", "AMPA rise time constant"),
    "tau2": ("ms", "AMPA decay time constant"),
    "e_ampa": ("mV", "AMPA reversal"),
    "nmda_tau1": ("ms", "NMDA rise time constant"),
    "nmda_tau2": ("ms", "NMDA decay time constant"),
    "e_nmda": ("mV", "NMDA reversal"),
    "mg": ("mM", "extracellular Mg2+ of the Jahr & Stevens block"),
    "gna_head": ("uS", "HH Na ring in the head: maximal conductance" + _RING_NOTE),
    "ena": ("mV", "HH Na ring reversal"),
    "ah0": ("1/ms", "alpha_h prefactor (0.06 summary, 0.07 Dayan & Abbott)"),
    "gbz_head": ("uS", "instantaneous Boltzmann ring in the head: maximal conductance"
                 + _RING_NOTE),
    "ebz": ("mV", "Boltzmann ring reversal"),
    "vhalf_bz": ("mV", "Boltzmann ring half-activation voltage"),
    "slope_bz": ("mV", "Boltzmann ring slope"),
    "gna_neck": ("uS", "HH Na ring on the neck: maximal conductance"
                 + _NECK_RING_NOTE),
    "gbz_neck": ("uS", "Boltzmann ring on the neck: maximal conductance"
                 + _NECK_RING_NOTE),
    "ring_pos": ("1", "neck ring position as a fraction of the neck length from the dendrite"),
    "ring_gamma": ("1/um", "integral dx/S from the dendrite to the neck ring "
                   "(0: ring_pos*gamma, exact for a cylinder)"),
    "refresh": ("1", "1: re-solve the head after each state update so recorded outputs "
                "belong to the new v (the next BREAKPOINT reuses that solve unless an "
                "event arrived or v or iinj changed: one solve per step); 0: solve in "
                "BREAKPOINT only (outputs lag v by one step, like NEURON's currents)"),
}

#: Outputs of SpnpSpine (RANGE variables): name -> (unit, meaning).
OUTPUTS = {
    "vhead": ("mV", "head potential"),
    "vring": ("mV", "potential at the neck ring (with a neck ring; else the dendrite's v)"),
    "ineck": ("nA", "neck current, positive from the head to the dendrite (i = -ineck)"),
    "reff": ("MOhm", "effective neck resistance (vhead - v)/ineck (slope value at 0)"),
    "chead": ("mM", "head salt concentration (mode 2 state; steady value in mode 1)"),
    "r0": ("MOhm", "Ohmic (small-signal) neck resistance in use"),
    "isat": ("nA", "saturation current 2 C D F / gamma of the steady law"),
    "vt": ("mV", "thermal voltage kT/e at NEURON's celsius"),
    "gampa": ("uS", "AMPA conductance"),
    "gnmda": ("uS", "NMDA conductance before the Mg block"),
    "gtot": ("uS", "di/dv handed to NEURON (neck and head slope conductances in series)"),
    "niter": ("1", "evaluations of the head balance so far that needed exp() or the full "
              "solver (a cost counter; the exp-free first Newton step is not counted)"),
    "badparam": ("1", "0, or the code of the parameter rule that refused this spine at "
                 "finitialize (spinepnp.validity.BADPARAM; a refused spine delivers no "
                 "current)"),
    "invalid": ("1", "0, or the sum of the flags of spinepnp.validity.INVALID: the result "
                "left the model's validity since finitialize"),
    "tinvalid": ("ms", "time of the first validity flag (-1: never)"),
}


def head_volume(head_diam: float) -> float:
    """Volume [um3] of a spherical head of diameter ``head_diam`` [um]."""
    d = check_positive("head_diam", head_diam, "um")
    return math.pi * d ** 3 / 6.0


def neck_parameters(neck: Neck, conc: float = 167.0, diffusion: float = 1.33,
                    celsius: float = 20.0) -> dict:
    """SpnpSpine's geometric parameters and the law's constants for a neck geometry.

    Parameters
    ----------
    neck : Cylinder, Hyperboloid or Profile
        Neck geometry (x = 0 at the dendrite).
    conc : float
        Salt concentration at the dendrite end [mM].
    diffusion : float
        Diffusion coefficient of the carrier [um2/ms].
    celsius : float
        Temperature [degC].

    Returns
    -------
    dict
        ``gamma`` [1/um], ``neck_len`` [um], ``neck_vol`` [um3] (the values to set on
        SpnpSpine), and for reference ``r0`` [MOhm] (Ohmic limit, eq 7) and ``isat`` [nA]
        (saturation current) from :mod:`spinepnp.laws`.
    """
    from . import laws
    gamma = getattr(neck, "gamma", None)
    if gamma is None:
        raise ValueError(f"neck = {neck!r} is not a neck geometry: use spinepnp.geometry."
                         "Cylinder, Hyperboloid or Profile")
    return {
        "gamma": check_positive("neck.gamma", gamma, "1/um"),
        "neck_len": check_positive("neck.length", neck.length, "um"),
        "neck_vol": check_positive("neck.volume", neck.volume, "um3"),
        "r0": laws.ohmic_resistance(neck, conc, diffusion, celsius),
        "isat": laws.saturation_current(neck, conc, diffusion, celsius),
    }


def configure_spine(pp, neck: Neck | None = None, mode: int | None = None, **params):
    """Set the parameters of an ``SpnpSpine`` instance; return it.

    Parameters
    ----------
    pp : hoc SpnpSpine
        The point process.
    neck : Cylinder, Hyperboloid or Profile, optional
        Neck geometry: sets ``gamma``, ``neck_len`` and ``neck_vol`` (and ``neck_diam``
        for a cylinder). Mode 1 needs only ``gamma``; mode 2 also uses the volume.
    mode : {0, 1, 2}, optional
        Neck law (see :data:`MODES`).
    **params
        Any other parameter of :data:`PARAMETERS`, in its unit (e.g. ``conc=167``,
        ``diff=1.33``, ``head_diam=0.5``, ``rneck=100``, ``gna_head=0.01``).

    Notes
    -----
    Parameters are read by the mechanism's INITIAL block: call ``h.finitialize`` after
    changing geometry, mode, concentration, diffusion coefficients or synaptic time
    constants. Other parameters take effect within one time step. Given ``neck`` and
    ``ring_pos`` (and no ``ring_gamma``), the ring's ``ring_gamma`` is set from the
    geometry (exact for any profile). In mode 2 a neck ring needs a conductance > 0 at ``h.finitialize``: the
    neck's grid puts a node on the ring there.
    """
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"unknown SpnpSpine parameter(s) {', '.join(unknown)}; known: "
                         f"{', '.join(PARAMETERS)}")
    if mode is not None:
        if mode not in MODES:
            raise ValueError(f"mode = {mode!r}: use 0 (Ohmic), 1 (steady PNP law) or 2 "
                             "(dynamic electroneutral neck)")
        pp.mode = int(mode)
    if neck is not None:
        geo = neck_parameters(neck)
        pp.gamma = geo["gamma"]
        pp.neck_len = geo["neck_len"]
        pp.neck_vol = geo["neck_vol"]
        if isinstance(neck, Cylinder):
            pp.neck_diam = 2.0 * neck.radius0
    for name, value in params.items():
        try:
            val = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} = {value!r} is not a number; give it in "
                             f"{PARAMETERS[name][0]}") from None
        if not math.isfinite(val):
            raise ValueError(f"{name} = {value!r} must be finite ({PARAMETERS[name][0]})")
        setattr(pp, name, val)
    if neck is not None and "ring_pos" in params and "ring_gamma" not in params:
        pos = float(params["ring_pos"])
        if not 0.0 < pos < 1.0:
            raise ValueError(f"ring_pos = {pos:g} must lie strictly inside (0, 1): the "
                             "neck ring's position as a fraction of the neck length (a "
                             "ring at an end is a head ring, gna_head/gbz_head)")
        pp.ring_gamma = float(neck.gamma_at(pos * neck.length))
    return pp


def add_spine(seg, neck: Neck | None = None, mode: int = 1, **params):
    """Create an ``SpnpSpine`` in the dendrite segment ``seg`` and configure it.

    .. deprecated::
        Use :func:`spinepnp.build.attach_spine`, which speaks the spine vocabulary of
        every law (``law`` for ``mode``, ``diffusion`` for ``diff``, ``g_pas`` [S/cm2]
        for ``gleak`` [uS]), takes the head leak from the parent segment and keeps the
        spine's membrane. ``add_spine`` leaves the mechanism's defaults (a head leak of 0
        towards -70 mV, a 1 pS floor) and will be removed in the next release.

    Loads spinepnp's mechanisms if needed (:func:`spinepnp.loader.load_mechanisms`).
    Parameters as in :func:`configure_spine`; returns the point process.
    """
    import warnings
    warnings.warn("spinepnp.spine.add_spine is deprecated and will be removed in the next "
                  "release: use spinepnp.build.attach_spine(seg, law=..., params=...) "
                  "(mode 0/1/2 is law 'ohmic'/'pnp'/'pnp-dynamic', diff is diffusion, "
                  "gleak [uS] is g_pas [S/cm2]); spine.point is the SpnpSpine",
                  DeprecationWarning, stacklevel=2)
    from neuron import h

    from .loader import load_mechanisms
    load_mechanisms()
    return configure_spine(h.SpnpSpine(seg), neck=neck, mode=mode, **params)
