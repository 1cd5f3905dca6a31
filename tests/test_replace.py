"""replace_explicit_spines: neck + head Sections -> drop-in spines with the same circuit."""

import math

import numpy as np
import pytest


def _model(h, syn_kind="Exp2Syn", head_mech=None, neck_nseg=1):
    soma = h.Section(name="rsoma")
    soma.L = soma.diam = 20.0
    dend = h.Section(name="rdend")
    dend.L, dend.diam, dend.nseg = 300.0, 1.0, 31
    dend.connect(soma(1))
    neck, head = h.Section(name="rneck"), h.Section(name="rhead")
    neck.L, neck.diam, neck.nseg = 1.0, 0.1, neck_nseg
    head.L = head.diam = 0.5
    for sec in (soma, dend, neck, head):
        sec.Ra, sec.cm = 150.0, 1.0
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 1e-4, -65.0
    neck.connect(dend(0.5))
    head.connect(neck(1))
    if head_mech:
        head.insert(head_mech)
    syn = getattr(h, syn_kind)(head(0.5))
    if syn_kind == "Exp2Syn":
        syn.tau1, syn.tau2, syn.e = 0.2, 2.0, 0.0
    else:
        syn.tau, syn.e = 2.0, 0.0
    ns = h.NetStim()
    ns.number, ns.start = 2, 5.0
    ns.interval = 10.0
    nc = h.NetCon(ns, syn)
    nc.weight[0], nc.delay = 0.001, 1.0
    return soma, dend, neck, head, syn, ns, nc


def _run(h, soma, dend, dt):
    vs, vd = h.Vector().record(soma(0.5)._ref_v), h.Vector().record(dend(0.5)._ref_v)
    h.dt = dt
    h.finitialize(-65.0)
    h.continuerun(40.0)
    return np.array(vs) + 65.0, np.array(vd) + 65.0


def test_resistance_is_neck_plus_half_head(h):
    from spinepnp.replace import path_resistance
    _, _, neck, head, *_ = _model(h, neck_nseg=3)
    # by hand: 4 Ra L / (pi d^2), Ra in Ohm cm, L and d in um -> 1e-2 MOhm
    neck_r = 4 * 150.0 * 1.0 / (math.pi * 0.1 ** 2) * 1e-2
    half_head = 4 * 150.0 * 0.25 / (math.pi * 0.5 ** 2) * 1e-2
    assert path_resistance(neck, head) == pytest.approx(neck_r + half_head, rel=1e-9)


def test_ohmic_replacement_keeps_the_epsps(h):
    from spinepnp.build import replace_explicit_spines
    soma, dend, neck, head, syn, ns, nc = _model(h)
    before = _run(h, soma, dend, 0.025)
    report = replace_explicit_spines(law="ohmic")
    assert len(report) == 1
    row = report.rows[0]
    assert row["synapses"] == 1 and row["netcons"] == 1
    # head and neck membrane kept: pi d L of both, by hand
    assert row["area_um2"] == pytest.approx(math.pi * (0.1 * 1.0 + 0.5 * 0.5), rel=1e-9)
    assert {s.name() for s in h.allsec()} == {"rsoma", "rdend"}   # Sections deleted
    assert nc.syn() == report.spines[0].target and nc.weight[0] == 0.001
    after = _run(h, soma, dend, 0.025)
    # 0.1 %: the bound. What remains is the head's and neck's capacitance moved
    # into the dendrite segment (their charging time through the neck, ~1 us, is
    # far below the EPSP's rise) and the neck leak moved to the head
    for b, a in zip(before, after):
        assert b.max() > 0.5                  # a real EPSP (soma ~1 mV, dendrite ~9)
        assert a.max() == pytest.approx(b.max(), rel=1e-3)
    del nc, syn, ns


def test_expsyn_moves_too(h):
    from spinepnp.build import replace_explicit_spines
    soma, dend, neck, head, syn, ns, nc = _model(h, "ExpSyn")
    dt = 0.0025
    before = _run(h, soma, dend, dt)
    report = replace_explicit_spines(law="ohmic")
    assert report.spines[0].point.tau2 == 2.0
    after = _run(h, soma, dend, dt)
    # an ExpSyn becomes a double exponential with a 1e-4 ms rise: its conductance
    # starts one time step after the ExpSyn's, an error of about dt / tau = 0.1 %
    # at this dt (1 % at dt = 0.025 ms); 0.3 % bounds it
    for b, a in zip(before, after):
        assert a.max() == pytest.approx(b.max(), rel=3e-3)
    del nc, syn, ns


def test_pnp_law_from_the_same_geometry(h):
    from spinepnp.build import replace_explicit_spines
    from spinepnp.laws import ohmic_resistance
    from spinepnp.geometry import Cylinder
    *_, syn, ns, nc = _model(h)
    h.celsius = 20.0
    report = replace_explicit_spines(law="pnp")
    sp = report.spines[0]
    assert sp.law == "pnp"
    assert sp.r0 == pytest.approx(ohmic_resistance(Cylinder(1.0, 0.05), 167.0, 1.33, 20.0),
                                  rel=1e-9)
    del nc, syn, ns


def test_refuses_what_it_cannot_map(h):
    from spinepnp.build import replace_explicit_spines
    *_, head, syn, ns, nc = _model(h, head_mech="hh")
    with pytest.raises(ValueError, match="'hh'"):
        replace_explicit_spines()
    assert "rhead" in {s.name() for s in h.allsec()}     # nothing changed
    head.uninsert("hh")
    clamp = h.IClamp(head(0.5))
    with pytest.raises(ValueError, match="IClamp"):
        replace_explicit_spines()
    with pytest.raises(ValueError, match="law"):
        replace_explicit_spines(law="explicit")
    del nc, syn, ns, clamp


def test_sections_limit_the_search(h):
    from spinepnp.build import replace_explicit_spines
    from spinepnp.replace import find_explicit_spines
    soma, dend, neck, head, syn, ns, nc = _model(h)
    other = h.Section(name="rother")
    other.L, other.diam = 100.0, 1.0
    other.insert("pas")
    other.connect(soma(0))
    n2, h2 = h.Section(name="n2"), h.Section(name="h2")
    n2.L, n2.diam, h2.L, h2.diam = 1.0, 0.1, 0.5, 0.5
    n2.connect(other(0.5))
    h2.connect(n2(1))
    assert len(find_explicit_spines()) == 2
    # the soma (one child only: no) and the dendrites are no necks: diameter > 0.5 um
    assert {s.neck.name() for s in find_explicit_spines()} == {"rneck", "n2"}
    report = replace_explicit_spines([other])
    assert [r["neck"] for r in report.rows] == ["n2"]
    assert "rneck" in {s.name() for s in h.allsec()}
    del nc, syn, ns


def test_many_spines_and_a_neck_on_a_section_end(h):
    from spinepnp.build import replace_explicit_spines
    soma, dend, neck, head, syn, ns, nc = _model(h)
    necks = []
    for k in range(20):
        n, hd = h.Section(name=f"mn{k}"), h.Section(name=f"mh{k}")
        n.L, n.diam, hd.L, hd.diam = 1.0, 0.1, 0.5, 0.5
        n.connect(dend(1.0 if k == 0 else (k + 0.5) / 21))
        hd.connect(n(1))
        necks.append((n, hd))
    report = replace_explicit_spines()
    assert len(report) == 21
    rows = {r["neck"]: r for r in report.rows}
    assert rows["mn0"]["moved_from_end"] and not rows["mn5"]["moved_from_end"]
    assert rows["mn0"]["location"] == "rdend(0.983871)"     # 1 - 0.5 / 31
    # one NetCon in the model, moved once
    assert sum(r["netcons"] for r in report.rows) == 1
    assert {s.name() for s in h.allsec()} == {"rsoma", "rdend"}
    del nc, syn, ns, necks
