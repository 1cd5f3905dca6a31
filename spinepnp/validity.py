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

Importing this module does not import NEURON.
"""

from __future__ import annotations

import math

__all__ = ["BADPARAM", "INVALID", "SpineParameterError", "SpineValidityWarning",
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

#: invalid flag -> why the spine's result is outside the model (``invalid`` is their sum)
INVALID = {
    1: "the head solver did not converge in 200 evaluations (its last iterate is used)",
    2: "the neck current is at saturation (mode 1: outward current within 0.1 % of "
       "isat, chead < 1e-3 conc; the head potential is then set by gfloor)",
    4: "a mode-2 neck or head concentration is at or below its floor cmin (the salt ran "
       "out)",
    8: "|vhead| > 1000 mV",
}


class SpineParameterError(ValueError):
    """One or more SpnpSpine instances were refused at finitialize (bad parameters)."""


class SpineValidityWarning(UserWarning):
    """Some SpnpSpine results left the model's validity (see :data:`INVALID`)."""


def _unit(name: str) -> str:
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
    if not hasattr(h, "SpnpSpine"):
        return []
    out = []
    for pp in h.List("SpnpSpine"):
        if not pp.has_loc():
            continue        # its section was deleted: it takes no part in a run
        code = int(pp.badparam)
        if code == 0:
            continue
        name, allowed, fix = BADPARAM.get(code, ("?", "?", "see spinepnp.validity"))
        value = float(h.celsius) if name == "celsius" else float(getattr(pp, name, math.nan))
        out.append(dict(spine=pp, name=pp.hname(), location=_location(pp), code=code,
                        parameter=name, value=value, unit=_unit(name) if name != "?" else "",
                        allowed=allowed, fix=fix))
    return out


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
        f"{len(bad)} SpnpSpine(s) refused at finitialize (they would deliver no current):\n"
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


def _reasons(code: int) -> list[str]:
    return [text for bit, text in INVALID.items() if int(code) & bit]


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
        if not hasattr(h, "SpnpSpine"):
            return []
        spines = [pp for pp in h.List("SpnpSpine") if pp.has_loc()]
    out = []
    for pp in spines:
        code = int(pp.invalid)
        if code == 0:
            continue
        out.append(dict(spine=pp, name=pp.hname(), location=_location(pp), invalid=code,
                        flags=[b for b in INVALID if code & b], reasons=_reasons(code),
                        tinvalid=float(pp.tinvalid)))
    return out


def describe_invalid(records: list[dict], show: int = 5) -> str:
    """A short text for :func:`invalid_spines`' records ('' when there are none)."""
    if not records:
        return ""
    counts = {b: sum(1 for r in records if b in r["flags"]) for b in INVALID}
    lines = [f"{len(records)} SpnpSpine(s) left the model's validity:"]
    lines += [f"  {n} x {INVALID[b]}" for b, n in counts.items() if n]
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
