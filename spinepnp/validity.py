"""Where a drop-in spine (``SpnpSpine``) is outside its model: refused parameters and
results outside the model's validity.

Every ``SpnpSpine`` checks its parameters at ``h.finitialize`` (the mechanism's
``spine_checks.inc``). A spine whose parameters leave the model's domain is *refused*:
its RANGE variable ``badparam`` holds the code of the first rule it breaks (0 = valid),
it prints one line naming the parameter, the value and the allowed range, and it
delivers no current, so the dendrite it sits on is untouched. :data:`BADPARAM` is the
one table of these codes; the mechanism uses the same numbers.

When the mechanisms were loaded through :func:`spinepnp.loader.load_mechanisms`,
:func:`install_parameter_check` has registered an ``FInitializeHandler`` that reads
``badparam`` of every ``SpnpSpine`` after the INITIAL blocks; if any spine was refused,
``h.finitialize()`` fails with the facts (spine, location, parameter, value, allowed
range) and the fix. NEURON wraps an exception raised in a callback: the caller sees a
``RuntimeError`` whose message quotes the :class:`SpineParameterError` raised here.

While it runs, every spine records in its RANGE variables ``invalid`` (a sum of the
flags of :data:`INVALID`, 0 = fine) and ``tinvalid`` (the time [ms] of the first flag,
-1 if never) when its result left the model's validity: the head solver did not
converge, the neck current is at saturation, a mode-2 concentration reached its floor,
or ``|vhead|`` exceeded 1000 mV (the mechanism's ``spine_validity.inc``).
:func:`invalid_spines` lists them; :func:`warn_invalid` turns the list into one
warning, as :class:`spinepnp.parallel.ChunkedRun` does at the end of a run.

The multi-species spine ``SpnpSpineIons`` works the same way with its own tables,
:data:`BADPARAM_IONS` and :data:`INVALID_IONS` (:data:`TABLES` maps each mechanism to
its two); the functions here cover both mechanisms.

Importing this module does not import NEURON.
"""

from __future__ import annotations

import math

__all__ = ["BADPARAM", "INVALID", "BADPARAM_IONS", "INVALID_IONS", "TABLES",
           "SpineParameterError", "SpineValidityWarning",
           "refused_spines", "check_parameters", "install_parameter_check",
           "invalid_spines", "describe_invalid", "warn_invalid", "ValidityLog"]

_ANY = "finite"
_POS = "> 0, finite"
_NONNEG = ">= 0, finite"

#: badparam code -> (parameter, allowed values, how to fix it). Rules are checked in
#: the order of the codes; a spine reports the first one it breaks.
BADPARAM = {
    1: ("neck_len", _POS, "give the neck length in um, > 0"),
    2: ("neck_diam", _POS, "give the (cylinder) neck diameter in um, > 0"),
    3: ("head_diam", _POS, "give the head diameter in um, > 0"),
    4: ("conc", _POS, "give the salt concentration at the dendrite in mM, > 0 "
        "(e.g. 167)"),
    5: ("diff", _POS, "give the carrier's diffusion coefficient in um2/ms, > 0 "
        "(e.g. 1.33 for Na+)"),
    6: ("diff_anion", _POS, "give the anion's diffusion coefficient in um2/ms, > 0 "
        "(e.g. 2.03 for Cl-)"),
    7: ("cmin", _POS, "give the mode 2 concentration floor in mM, > 0 (default 1e-6)"),
    8: ("mode", "0, 1 or 2", "set mode = 0 (Ohmic), 1 (steady PNP law) or 2 (dynamic "
        "neck)"),
    9: ("rneck", _NONNEG, "give the mode 0 neck resistance in MOhm, >= 0 (0: from ra or "
        "the law)"),
    10: ("ra", _NONNEG, "give the mode 0 resistivity in ohm cm, >= 0 (0: unused)"),
    11: ("gamma", _NONNEG, "give the neck's integral dx/S in 1/um, >= 0 (0: the "
         "cylinder's)"),
    12: ("neck_vol", _NONNEG, "give the neck volume in um3, >= 0 (0: the cylinder's)"),
    13: ("ring_pos", "strictly inside (0, 1) with a neck ring, finite",
         "place the neck ring inside the neck, 0 < ring_pos < 1 (a ring at an end is a "
         "head ring, gna_head/gbz_head, or a dendrite channel)"),
    14: ("ring_gamma", ">= 0, and below the neck's gamma with a neck ring, finite",
         "give ring_gamma in 1/um between 0 and the neck's gamma (0: ring_pos*gamma)"),
    15: ("tau1", _POS, "give the AMPA rise time constant in ms, > 0"),
    16: ("tau2", _POS, "give the AMPA decay time constant in ms, > 0"),
    17: ("nmda_tau1", _POS, "give the NMDA rise time constant in ms, > 0"),
    18: ("nmda_tau2", _POS, "give the NMDA decay time constant in ms, > 0"),
    19: ("gleak", _NONNEG, "give the head leak conductance in uS, >= 0"),
    20: ("gfloor", _POS, "give the floor conductance in uS, > 0 (default 1e-6)"),
    21: ("mg", _NONNEG, "give the extracellular Mg in mM, >= 0"),
    22: ("gna_head", _NONNEG, "give the head HH ring conductance in uS, >= 0"),
    23: ("gbz_head", _NONNEG, "give the head Boltzmann ring conductance in uS, >= 0"),
    24: ("gna_neck", _NONNEG, "give the neck HH ring conductance in uS, >= 0"),
    25: ("gbz_neck", _NONNEG, "give the neck Boltzmann ring conductance in uS, >= 0"),
    26: ("ah0", _NONNEG, "give the alpha_h prefactor in 1/ms, >= 0 (0.06 or 0.07)"),
    27: ("slope_bz", "nonzero, finite", "give the Boltzmann slope in mV, nonzero "
         "(default 5)"),
    28: ("refresh", "0 or 1", "set refresh = 1 (re-solve after each state update) or 0"),
    29: ("iinj", _ANY, "give the injected current in nA as a finite number"),
    30: ("eleak", _ANY, "give the leak reversal in mV as a finite number"),
    31: ("e_ampa", _ANY, "give the AMPA reversal in mV as a finite number"),
    32: ("e_nmda", _ANY, "give the NMDA reversal in mV as a finite number"),
    33: ("ena", _ANY, "give the Na reversal in mV as a finite number"),
    34: ("ebz", _ANY, "give the Boltzmann ring reversal in mV as a finite number"),
    35: ("vhalf_bz", _ANY, "give the Boltzmann half-activation in mV as a finite number"),
    36: ("celsius", "> -273.15, finite", "set h.celsius to a temperature in degC above "
         "absolute zero"),
}

_UNITS = {"celsius": "degC"}

#: SpnpSpineIons (the multi-species spine, spine_ions_checks.inc): badparam code ->
#: (parameter, allowed values, how to fix it), checked in the order of the codes. The
#: segment's ion concentrations are the neck's dendrite-end values; rule 42: the dendrite
#: end must be electroneutral with the fixed anion.
BADPARAM_IONS = {
    1: ("neck_len", "> 0, finite", "give the neck length in um, > 0"),
    2: ("neck_diam", "> 0, finite", "give the (cylinder) neck diameter in um, > 0"),
    3: ("head_diam", "> 0, finite", "give the head diameter in um, > 0"),
    4: ("gamma", ">= 0, finite",
        "give the neck's integral dx/S in 1/um, >= 0 (0: the cylinder's)"),
    5: ("neck_vol", ">= 0, finite",
        "give the neck volume in um3, >= 0 (0: the cylinder's)"),
    6: ("d_na", "> 0, finite",
        "give Na's diffusion coefficient in um2/ms, > 0 (aqueous 1.33)"),
    7: ("d_k", "> 0, finite",
        "give K's diffusion coefficient in um2/ms, > 0 (aqueous 1.96)"),
    8: ("d_cl", "> 0, finite",
        "give Cl's diffusion coefficient in um2/ms, > 0 (aqueous 2.03)"),
    9: ("d_ca", "> 0, finite",
        "give Ca's diffusion coefficient in um2/ms, > 0 (aqueous 0.79)"),
    10: ("a_conc", ">= 0, finite", "give the fixed anion's concentration in mM, >= 0"),
    11: ("d_a", ">= 0, finite",
         "give the fixed anion's diffusion coefficient in um2/ms, >= 0 (0: immobile)"),
    12: ("iinj_na", "finite", "give a finite Na current in nA"),
    13: ("iinj_k", "finite", "give a finite K current in nA"),
    14: ("iinj_ca", "finite", "give a finite Ca current in nA"),
    15: ("gleak", ">= 0, finite", "give the head leak conductance in uS, >= 0"),
    16: ("eleak", "finite", "give a finite leak reversal in mV"),
    17: ("tau1", "> 0, finite", "give the AMPA rise time constant in ms, > 0"),
    18: ("tau2", "> 0, finite", "give the AMPA decay time constant in ms, > 0"),
    19: ("pk_pna", ">= 0, finite",
         "give the permeability ratio P_K/P_Na, >= 0 (about 1 for AMPA)"),
    20: ("nmda_tau1", "> 0, finite", "give the NMDA rise time constant in ms, > 0"),
    21: ("nmda_tau2", "> 0, finite", "give the NMDA decay time constant in ms, > 0"),
    22: ("mg", ">= 0, finite", "give the extracellular Mg in mM, >= 0"),
    23: ("ca_frac", "in [0, 1)",
         "give the Ca fraction of the inward NMDA current, 0 <= ca_frac < 1 (about "
         "0.1)"),
    24: ("gna_head", ">= 0, finite", "give the HH Na ring conductance in uS, >= 0"),
    25: ("ena", "finite", "give a finite Na reversal in mV"),
    26: ("ah0", ">= 0, finite", "give the alpha_h prefactor in /ms, >= 0 (0.06)"),
    27: ("gbz_head", ">= 0, finite", "give the Boltzmann ring conductance in uS, >= 0"),
    28: ("ebz", "finite", "give a finite Boltzmann ring reversal in mV"),
    29: ("vhalf_bz", "finite", "give a finite half activation in mV"),
    30: ("slope_bz", "nonzero, finite", "give a nonzero slope in mV"),
    31: ("ca_buffer", ">= 0, finite",
         "give the head Ca buffer capacity (bound/free), >= 0 (about 20)"),
    32: ("ca_tau", "> 0, finite",
         "give the decay time of head Ca in ms, > 0 (about 12; a huge value switches "
         "extrusion off)"),
    33: ("site_gamma", ">= 0, finite",
         "give the release site's int f^2 dx/S in 1/um, >= 0 (0: well mixed)"),
    34: ("cfloor_frac", "in (0, 1)",
         "give the run-out fraction, 0 < cfloor_frac < 1 (default 1e-3)"),
    35: ("celsius", "> -273.15, finite", "set h.celsius above absolute zero"),
    36: ("nai", ">= 0, finite",
         "the segment's nai is the neck's dendrite-end Na: set it >= 0 (0: absent; "
         "spinepnp.ions.set_cytoplasm)"),
    37: ("ki", ">= 0, finite",
         "the segment's ki is the neck's dendrite-end K: set it >= 0 (0: absent; "
         "spinepnp.ions.set_cytoplasm)"),
    38: ("cli", ">= 0, finite",
         "the segment's cli is the neck's dendrite-end Cl: set it >= 0 (0: absent; "
         "spinepnp.ions.set_cytoplasm)"),
    39: ("cai", ">= 0, finite",
         "the segment's cai is the neck's dendrite-end Ca: set it >= 0 (0: absent; "
         "spinepnp.ions.set_cytoplasm)"),
    40: ("nao", ">= 0, finite",
         "set the segment's nao >= 0 (the synapses' outside Na)"),
    41: ("ko", ">= 0, finite", "set the segment's ko >= 0 (the synapses' outside K)"),
    42: ("a_conc", "equal to nai + ki + 2 cai - cli of the segment (to 1e-6 relative)",
         "make the dendrite end electroneutral: set a_conc = nai + ki + 2 cai - cli "
         "(the printed value), or give the segment a cytoplasm with "
         "spinepnp.ions.set_cytoplasm after inserting the spines (the default a_conc "
         "balances it)"),
}

#: Units of SpnpSpineIons' checked quantities (for the messages)
_UNITS_IONS = {'neck_len': 'um', 'neck_diam': 'um', 'head_diam': 'um', 'gamma': '/um',
               'neck_vol': 'um3', 'd_na': 'um2/ms', 'd_k': 'um2/ms', 'd_cl': 'um2/ms',
               'd_ca': 'um2/ms', 'a_conc': 'mM', 'd_a': 'um2/ms', 'iinj_na': 'nA',
               'iinj_k': 'nA', 'iinj_ca': 'nA', 'gleak': 'uS', 'eleak': 'mV',
               'tau1': 'ms', 'tau2': 'ms', 'pk_pna': '1', 'nmda_tau1': 'ms',
               'nmda_tau2': 'ms', 'mg': 'mM', 'ca_frac': '1', 'gna_head': 'uS',
               'ena': 'mV', 'ah0': '/ms', 'gbz_head': 'uS', 'ebz': 'mV',
               'vhalf_bz': 'mV', 'slope_bz': 'mV', 'ca_buffer': '1', 'ca_tau': 'ms',
               'site_gamma': '/um', 'cfloor_frac': '1', 'celsius': 'degC', 'nai': 'mM',
               'ki': 'mM', 'cli': 'mM', 'cai': 'mM', 'nao': 'mM', 'ko': 'mM'}

#: SpnpSpineIons' invalid flags (``invalid`` is their sum)
INVALID_IONS = {
    1: "the head balance did not converge in 100 evaluations (its last iterate is used)",
    2: "a mobile species is at or below cfloor_frac of its dendrite value in a neck cell "
       "or the head (a carrier ran out, e.g. Na carried out of the head; the model has no "
       "solution past that point)",
    4: "|vhead| > 1000 mV",
}

#: invalid flag -> why the spine's result is outside the model (``invalid`` is their sum)
INVALID = {
    1: "the head solver did not converge in 200 evaluations (its last iterate is used)",
    2: "the neck current is at saturation (mode 1: outward current within 0.1 % of "
       "isat, chead < 1e-3 conc; the head potential is then set by gfloor)",
    4: "a mode-2 neck or head concentration is at or below its floor cmin (the salt ran "
       "out)",
    8: "|vhead| > 1000 mV",
}


#: mechanism name -> (badparam table, invalid table)
TABLES = {"SpnpSpine": (BADPARAM, INVALID), "SpnpSpineIons": (BADPARAM_IONS, INVALID_IONS)}
_SEGMENT_VALUES = ("nai", "ki", "cli", "cai", "nao", "ko")


class SpineParameterError(ValueError):
    """One or more SpnpSpine instances were refused at finitialize (bad parameters)."""


class SpineValidityWarning(UserWarning):
    """Some SpnpSpine results left the model's validity (see :data:`INVALID`)."""


def _unit(name: str, mech: str = "SpnpSpine") -> str:
    if mech == "SpnpSpineIons":
        return _UNITS_IONS.get(name, "")
    if name in _UNITS:
        return _UNITS[name]
    from .spine import PARAMETERS
    return PARAMETERS[name][0]


def _location(pp) -> str:
    try:
        seg = pp.get_segment()
    except Exception:   # pragma: no cover - a point process not in a section
        return "no section"
    return f"{seg.sec.name()}({seg.x:g})"


def refused_spines(h=None) -> list[dict]:
    """The ``SpnpSpine`` instances refused at the last finitialize.

    Returns
    -------
    list of dict
        One per refused spine: ``spine`` (the point process), ``name`` (its hoc name),
        ``location`` (``section(x)``), ``code`` (its ``badparam``), ``parameter``,
        ``value`` (in the parameter's unit), ``unit``, ``allowed`` and ``fix``.
    """
    if h is None:
        from neuron import h
    out = []
    for mech, (badparam, _) in TABLES.items():
        if not hasattr(h, mech):
            continue
        for pp in h.List(mech):
            if not pp.has_loc():
                continue        # its section was deleted: it takes no part in a run
            code = int(pp.badparam)
            if code == 0:
                continue
            name, allowed, fix = badparam.get(code, ("?", "?", "see spinepnp.validity"))
            if name == "celsius":
                value = float(h.celsius)
            elif name in _SEGMENT_VALUES:
                value = float(getattr(pp.get_segment(), name))
            else:
                value = float(getattr(pp, name, math.nan))
            out.append(dict(spine=pp, name=pp.hname(), location=_location(pp), code=code,
                            parameter=name, value=value,
                            unit=_unit(name, mech) if name != "?" else "",
                            allowed=allowed, fix=fix))
    return out


def _kinds(records: list[dict]) -> str:
    """'SpnpSpine(s)', 'SpnpSpineIons(s)' or both, for the records' spines."""
    names = sorted({r["name"].split("[")[0] for r in records})
    return "/".join(f"{n}(s)" for n in names)


def _describe(rec: dict) -> str:
    unit = "" if rec["unit"] in ("1", "") else f" {rec['unit']}"
    return (f"{rec['name']} at {rec['location']}: {rec['parameter']} = {rec['value']:g}"
            f"{unit} (allowed {rec['allowed']}; badparam {rec['code']}). Fix: {rec['fix']}")


def check_parameters(h=None, show: int = 5) -> None:
    """Raise :class:`SpineParameterError` if any ``SpnpSpine`` was refused.

    Called after the INITIAL blocks of ``h.finitialize`` (see
    :func:`install_parameter_check`); the message lists the first ``show`` refused
    spines and how many there are.
    """
    bad = refused_spines(h)
    if not bad:
        return
    lines = [_describe(r) for r in bad[:show]]
    more = f"\n... and {len(bad) - show} more" if len(bad) > show else ""
    raise SpineParameterError(
        f"{len(bad)} {_kinds(bad)} refused at finitialize (they would deliver no current):\n"
        + "\n".join(lines) + more)


_handler: list = []


def install_parameter_check(h=None) -> None:
    """Register (once per process) the FInitializeHandler that makes ``h.finitialize``
    fail when a spine was refused. :func:`spinepnp.loader.load_mechanisms` calls it."""
    if _handler:
        return
    if h is None:
        from neuron import h
    # type 1: after the mechanisms' INITIAL blocks (where badparam is set)
    _handler.append(h.FInitializeHandler(1, check_parameters))
    # type 0: before them, while invalid still holds the ending run's flags
    _handler.append(h.FInitializeHandler(0, _harvest))


def invalid_spines(spines=None, h=None) -> list[dict]:
    """The spines whose results left the model's validity since the last finitialize.

    Parameters
    ----------
    spines : iterable of SpnpSpine, optional
        The spines to look at (default: every SpnpSpine in a section).

    Returns
    -------
    list of dict
        One per spine with ``invalid != 0``: ``spine``, ``name``, ``location``,
        ``invalid`` (the flag sum), ``flags`` (the set flags), ``reasons`` (their
        texts from :data:`INVALID`) and ``tinvalid`` [ms] (when the first flag was set).
    """
    if spines is None:
        if h is None:
            from neuron import h
        spines = [pp for mech in TABLES if hasattr(h, mech)
                  for pp in h.List(mech) if pp.has_loc()]
    out = []
    for pp in spines:
        code = int(pp.invalid)
        if code == 0:
            continue
        table = TABLES.get(pp.hname().split("[")[0], (None, INVALID))[1]
        out.append(dict(spine=pp, name=pp.hname(), location=_location(pp), invalid=code,
                        flags=[b for b in table if code & b],
                        reasons=[text for bit, text in table.items() if code & bit],
                        tinvalid=float(pp.tinvalid)))
    return out


def describe_invalid(records: list[dict], show: int = 5) -> str:
    """A short text for :func:`invalid_spines`' records ('' when there are none)."""
    if not records:
        return ""
    reasons = [t for table in (INVALID, INVALID_IONS) for t in table.values()]
    counts = {t: sum(1 for r in records if t in r["reasons"]) for t in reasons}
    lines = [f"{len(records)} {_kinds(records)} left the model's validity:"]
    lines += [f"  {n} x {t}" for t, n in counts.items() if n]
    for r in records[:show]:
        lines.append(f"  {r['name']} at {r['location']}: invalid = {r['invalid']} from "
                     f"t = {r['tinvalid']:g} ms")
    if len(records) > show:
        lines.append(f"  ... and {len(records) - show} more")
    return "\n".join(lines)


def warn_invalid(spines=None, h=None, context: str = "") -> list[dict]:
    """Warn (:class:`SpineValidityWarning`) if spines left the validity range; return
    :func:`invalid_spines`' records."""
    import warnings
    records = invalid_spines(spines, h)
    if records:
        where = f"{context}: " if context else ""
        warnings.warn(where + describe_invalid(records), SpineValidityWarning,
                      stacklevel=2)
    return records


_active_logs: list = []


def _harvest() -> None:
    """Copy the flags of the run that ends now into every active :class:`ValidityLog`."""
    if not _active_logs:
        return
    records = [{k: v for k, v in r.items() if k != "spine"} for r in invalid_spines()]
    for log in _active_logs:
        if log.started:          # (else the ending run began before the log)
            log.records.extend(records)
        log.started = True


class ValidityLog:
    """Collect the spines that left the validity range over many runs.

    A context manager for the runs that start (``h.finitialize``) inside it: each
    ``h.finitialize`` (with the mechanisms loaded by
    :func:`spinepnp.loader.load_mechanisms`) first copies the flags of the run that
    ended, and leaving the context copies those of the last run. ``records`` then holds
    :func:`invalid_spines`' records (without the point process) of all runs; a spine
    that was deleted before the next finitialize is missed.
    """

    def __init__(self):
        self.records: list[dict] = []
        self.started = False

    def __enter__(self):
        _active_logs.append(self)
        return self

    def __exit__(self, *exc):
        _active_logs.remove(self)
        if not self.started:
            return False
        try:
            from neuron import h
            self.records.extend({k: v for k, v in r.items() if k != "spine"}
                                for r in invalid_spines(h=h))
        except Exception:       # pragma: no cover - NEURON gone at interpreter exit
            pass
        return False
