"""Replace classical explicit spines (neck and head Sections) by drop-in spines.

Many published models build each spine as two Sections: a thin neck on the dendrite
and a head on the neck, with ``pas`` and an ``Exp2Syn`` or ``ExpSyn`` in the head.
:func:`replace_explicit_spines` turns each into one drop-in spine
(:func:`spinepnp.build.attach_spine`) at the same dendrite location:

- ``law="ohmic"``: the same Ohmic resistance between the dendrite node and the head's
  centre node, i.e. the neck plus half the head, summed from NEURON's own axial
  resistances (``h.ri``: ``Ra`` and the segments' geometry), so the small-signal
  circuit is unchanged;
- any other law of :data:`spinepnp.build.LAWS`: that law for the neck's geometry (a
  cylinder of the neck's length and lateral area).

The membrane of head and neck is kept: the drop-in spine gets the same membrane area,
the area-weighted ``pas`` leak and reversal and the area-weighted ``cm``. Exp2Syn and
ExpSyn in the head move with their NetCons (weights, delays, thresholds, sources:
NetStims and other artificial cells, voltage sources, ``gid_connect`` sources) onto the
spine's AMPA synapse (``tau1``, ``tau2``, ``e``). An ExpSyn's ``tau`` becomes the decay
of a double exponential with a 1e-4 ms rise; that conductance starts one time step after
the ExpSyn's, an EPSP error of about dt / tau (1 % at dt = 25 us and tau = 2 ms, 0.1 %
at 2.5 us); an Exp2Syn keeps its own kinetics. Each NetCon is re-targeted in place
(``NetCon.setpost``), so its source (NetStim, voltage, gid), delay, threshold and the
user's reference to it stay; its weight becomes the AMPA weight. Then the neck and head
Sections are deleted. A head or neck with a density
mechanism other than ``pas``, or a point process other than Exp2Syn or ExpSyn, is
refused with an error naming it, before anything is changed.

NEURON's units: um, Ohm cm, MOhm, S/cm2, mV, uF/cm2, uS, ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["ExplicitSpine", "ReplacementReport", "find_explicit_spines",
           "replace_explicit_spines", "path_resistance"]

#: Density mechanisms a head or neck may carry (ions carry no conductance of their own)
_ALLOWED_DENSITY = {"pas"}
#: ExpSyn's rise time as an Exp2Syn [ms] (see the module docstring for the error)
_EXPSYN_RISE = 1e-4


@dataclass
class ExplicitSpine:
    """A neck Section with a head Section on it."""

    neck: object
    head: object


@dataclass
class ReplacementReport:
    """What :func:`replace_explicit_spines` did.

    ``spines`` (new :class:`spinepnp.build.Spine` objects), ``rows`` (one dict per spine:
    names, location (``moved_from_end``: the neck sat on a section end, a node without
    membrane, and the spine went to the nearest segment centre), resistance [MOhm],
    area [um2], leak, cm, synapses and NetCons mapped) and
    ``netcons`` (the NetCons moved onto the new spines).
    """

    spines: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    netcons: list = field(default_factory=list)

    def __len__(self):
        return len(self.spines)

    def __str__(self):
        lines = [f"replaced {len(self.spines)} explicit spine(s)"]
        for r in self.rows:
            lines.append(f"  {r['neck']} + {r['head']} -> {r['law']} spine at "
                         f"{r['location']}: R = {r['resistance_MOhm']:.4g} MOhm, area "
                         f"{r['area_um2']:.4g} um2, {r['synapses']} synapse(s), "
                         f"{r['netcons']} NetCon(s)")
        return "\n".join(lines)


def _children(sec):
    return list(sec.children())


def find_explicit_spines(sections=None, max_neck_diam: float = 0.5,
                         max_length: float = 5.0) -> list:
    """Classical explicit spines: a neck of diameter <= ``max_neck_diam`` [um] and length
    <= ``max_length`` [um] attached to a section, carrying exactly one child (the head,
    length <= ``max_length``) that has none. ``sections`` (default all) limits the
    search to spines whose neck, or the dendrite it sits on, is among them."""
    from neuron import h
    names = None if sections is None else {s.name() for s in sections}
    found = []
    for neck in h.allsec():
        if names is not None and neck.name() not in names and (
                neck.parentseg() is None or neck.parentseg().sec.name() not in names):
            continue
        kids = _children(neck)
        if neck.parentseg() is None or len(kids) != 1:
            continue
        head = kids[0]
        if (_children(head) or neck.L > max_length or head.L > max_length
                or max(seg.diam for seg in neck) > max_neck_diam):
            continue
        if head.parentseg().x != 1.0 or head.orientation() != 0.0:
            continue
        found.append(ExplicitSpine(neck, head))
    return found


def path_resistance(neck, head) -> float:
    """Axial resistance [MOhm] from the neck's parent node to the head's centre node
    (the neck plus half the head), from NEURON's ``h.ri`` of each node on the path."""
    from neuron import h
    total = sum(h.ri(seg.x, sec=neck) for seg in neck) + h.ri(1.0, sec=neck)
    centre = head(0.5)
    for seg in head:
        total += h.ri(seg.x, sec=head)
        if seg.x >= centre.x:
            break
    return float(total)


def _membrane(secs):
    """Area [um2], area-weighted pas g [S/cm2], leak-weighted e [mV], area-weighted cm,
    refusing any mechanism but pas."""
    area = g_area = ge_area = cm_area = 0.0
    e_any = None
    for sec in secs:
        for seg in sec:
            for mech in seg:
                name = mech.name()
                if name.endswith("_ion"):
                    continue
                if name not in _ALLOWED_DENSITY:
                    raise ValueError(
                        f"{sec.name()} has the mechanism {name!r}: a drop-in spine carries "
                        "only a pas leak, so this spine cannot be replaced faithfully "
                        "(remove it, or leave this spine explicit by naming the others "
                        "in spines=...)")
            a = float(seg.area())
            area += a
            cm_area += float(seg.cm) * a
            if hasattr(seg, "pas"):
                g_area += seg.pas.g * a
                ge_area += seg.pas.g * seg.pas.e * a
                e_any = float(seg.pas.e)
    g = g_area / area
    e = ge_area / g_area if g_area > 0 else e_any
    return area, g, e, cm_area / area


def _synapses(h, secs):
    """(kind, point process, kinetics) of the head and neck; refuses other types."""
    out = []
    for sec in secs:
        for seg in sec:
            for pp in seg.point_processes():
                kind = pp.hname().split("[")[0]
                if kind == "Exp2Syn":
                    kin = (float(pp.tau1), float(pp.tau2), float(pp.e))
                elif kind == "ExpSyn":
                    kin = (_EXPSYN_RISE, float(pp.tau), float(pp.e))
                else:
                    raise ValueError(
                        f"{sec.name()} holds a {kind}: only Exp2Syn and ExpSyn can be "
                        "moved onto a drop-in spine's head synapse")
                out.append((kind, pp, kin))
    kins = {k for _, _, k in out}
    if len(kins) > 1:
        raise ValueError(f"{secs[1].name()} holds synapses with different kinetics "
                         f"{sorted(kins)}: a drop-in spine has one AMPA synapse")
    return out


def _netcons_by_target(h) -> dict:
    """Every NetCon of the model by its target's hoc name (built once: O(NetCons))."""
    out = {}
    for nc in h.List("NetCon"):
        if nc.syn() is not None:
            out.setdefault(nc.syn().hname(), []).append(nc)
    return out


def replace_explicit_spines(sections=None, law: str = "ohmic", *, spines=None,
                            **spine_kwargs) -> ReplacementReport:
    """Replace explicit spines by drop-in spines at the same location.

    Parameters
    ----------
    sections : iterable of nrn.Section, optional
        Dendrites (or necks) whose explicit spines to replace
        (:func:`find_explicit_spines`; default every explicit spine of the model).
    law : str
        Neck law of the new spines (:data:`spinepnp.build.LAWS`, point laws).
    spines : list of (neck, head) or ExplicitSpine, optional
        The spines to replace, instead of searching.
    **spine_kwargs
        Passed on to :func:`spinepnp.build.attach_spine`.

    Returns
    -------
    ReplacementReport
    """
    from neuron import h
    from .build import POINT_LAWS, attach_spine
    if law not in POINT_LAWS:
        raise ValueError(f"law = {law!r}: replace explicit spines by a drop-in spine law "
                         f"({', '.join(POINT_LAWS)})")
    if spines is None:
        found = find_explicit_spines(sections)
    else:
        found = [s if isinstance(s, ExplicitSpine) else ExplicitSpine(*s) for s in spines]
        for s in found:
            if s.head.parentseg() is None or s.head.parentseg().sec != s.neck:
                raise ValueError(f"{s.head.name()} is not attached to {s.neck.name()}: "
                                 "give (neck, head) pairs")
    # check everything first, so a refusal changes nothing
    plans = []
    for s in found:
        secs = [s.neck, s.head]
        membrane = _membrane(secs)
        syns = _synapses(h, secs)
        plans.append((s, membrane, syns, path_resistance(s.neck, s.head)))
    report = ReplacementReport()
    netcons = _netcons_by_target(h) if plans else {}
    for s, (area, g, e, cm), syns, resistance in plans:
        neck_area = sum(float(seg.area()) for seg in s.neck)
        head_area = sum(float(seg.area()) for seg in s.head)
        geo = dict(neck_len=float(s.neck.L), neck_diam=neck_area / (math.pi * s.neck.L),
                   head_diam=math.sqrt(head_area / math.pi))
        parent = s.neck.parentseg()
        x = parent.x
        # a drop-in spine needs membrane to fold its capacitance into: a neck on a
        # section end (a node without area) moves to the nearest segment centre
        moved = x in (0.0, 1.0)
        if moved:
            x = 0.5 / parent.sec.nseg if x == 0.0 else 1.0 - 0.5 / parent.sec.nseg
        seg = parent.sec(x)
        kw = dict(spine_kwargs)
        kw.setdefault("cm", cm)
        if g > 0:
            kw.setdefault("g_pas", g)
            kw.setdefault("e_pas", e)
        else:
            kw.setdefault("g_pas", 0.0)
        if syns:
            tau1, tau2, erev = syns[0][2]
            kw.setdefault("synapse", dict(tau1=tau1, tau2=tau2, e_ampa=erev))
        if law == "ohmic":
            kw.setdefault("rneck", resistance)
        old = [nc for _, pp, _ in syns for nc in netcons.get(pp.hname(), [])]
        name = s.neck.name()
        row = dict(neck=name, head=s.head.name(), location=str(seg), law=law,
                   moved_from_end=moved, area_um2=area, g_pas=g, e_pas=e, cm=cm,
                   synapses=len(syns), netcons=len(old))
        sp = attach_spine(seg, law, geo, name=f"{name}_dropin", **kw)
        row["resistance_MOhm"] = sp.r0
        for nc in old:
            # setpost keeps the NetCon (source, delay, threshold, the user's reference)
            # but re-allocates its weights for the new target's two (AMPA, NMDA)
            weight = float(nc.weight[0])
            nc.setpost(sp.target)
            nc.weight[0], nc.weight[1] = weight, 0.0
            report.netcons.append(nc)
        h.delete_section(sec=s.head)
        h.delete_section(sec=s.neck)
        report.spines.append(sp)
        report.rows.append(row)
    return report
