"""Builders: spines of every law on a segment, spine sets, spiny neuron, network wiring."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.constants as sc

from spinepnp import build, laws
from spinepnp.constants import DEFAULT_RA
from spinepnp.spinesets import (SPINE_SETS, SpineParams, load_spine_params,
                                spine_names, spine_sets_json)

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ spine sets (no NEURON)

def test_spine_sets_by_name():
    thin = load_spine_params("thin")
    assert isinstance(thin, SpineParams)
    assert load_spine_params("Mushroom") is SPINE_SETS["mushroom"]
    # head_diam was derived from the 0.03 um3 mean head volume and rounded to 0.1 nm:
    # the volume comes back to 1e-3 relative
    assert thin.head_volume == pytest.approx(0.03, rel=1e-3)
    assert SPINE_SETS["mushroom"].head_volume == pytest.approx(0.27, rel=1e-3)
    for name in ("thin", "mushroom", "stubby"):
        p = SPINE_SETS[name]
        assert p.source, name
        assert 0.0 < p.neck_diam <= p.head_diam
    assert set(spine_names()) >= {"thin", "mushroom", "stubby", "paper"}


def test_spine_params_from_a_dict_and_calibration_temperature():
    p = load_spine_params(dict(neck_len=1.0, neck_diam=0.18, head_diam=0.6))
    assert (p.name, p.neck_len, p.neck_diam, p.head_diam) == ("custom", 1.0, 0.18, 0.6)
    # every built-in set states the temperature its quoted R0 and I_s belong to
    assert all(s.celsius == 20.0 for s in SPINE_SETS.values())
    for bad, word in [(dict(neck_len=1.0, neck_diam=0.1), "head_diam"),
                      (dict(neck_len=1.0, neck_diam=0.1, head_diam=0.5, rneck=3), "rneck"),
                      (dict(neck_len=1.0, neck_diam=0.1, head_diam=0.5,
                            celsius=float("nan")), "celsius")]:
        with pytest.raises(ValueError, match=word):
            load_spine_params(bad)


def test_unknown_spine_set_lists_valid_names():
    with pytest.raises(ValueError) as err:
        load_spine_params("giant")
    for name in ("thin", "mushroom", "stubby"):
        assert name in str(err.value)


def test_spine_sets_from_json(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"spines": {"long": {"neck_len": 2.0, "neck_diam": 0.08,
                                                    "head_diam": 0.5}}}))
    p = load_spine_params("long", path=path)
    assert (p.neck_len, p.neck_diam, p.head_diam) == (2.0, 0.08, 0.5)
    assert load_spine_params("thin", path=path) is SPINE_SETS["thin"]
    with pytest.raises(ValueError, match="must be a finite number > 0"):
        SpineParams("bad", neck_len=-1, neck_diam=0.1, head_diam=0.5)


@pytest.mark.skipif(not (ROOT / "models" / "spines.json").exists(), reason="no checkout")
def test_models_json_mirrors_canonical_table():
    text = (ROOT / "models" / "spines.json").read_text()
    assert json.loads(text) == json.loads(spine_sets_json()), (
        "models/spines.json is stale: run python -m spinepnp.spinesets --json "
        "models/spines.json")


def test_paper_spine_r0():
    # docs/guide/laws.rst, typical numbers: r0 = 50 nm, L = 1 um gives R0 = 75 MOhm at 20 degC; the
    # docs round it to 2 digits
    assert laws.ohmic_resistance(SPINE_SETS["paper"].neck) == pytest.approx(75.0, rel=0.01)


# ------------------------------------------------------------------ pure helpers

def test_d_lambda_nseg():
    n = build.d_lambda_nseg(500.0, 1.0, 150.0, 1.0)
    # lambda_100Hz = 1e5 sqrt(1/(4 pi 100 150 1)) = 230.3 um; 500/(0.1*230.3) = 21.7
    # -> int((21.7 + 0.9)/2)*2 + 1 = 23
    assert n == 23
    assert build.d_lambda_nseg(1.0, 1.0, 150.0, 1.0) == 1


def test_explicit_neck_ra_inverts_resistance():
    neck = SPINE_SETS["thin"].neck
    ra = build.explicit_neck_ra(10.0, neck.gamma)
    # R = 4 Ra L / (pi d^2) with Ra [Ohm cm] -> Ohm: x 1e-2 cm/um ... exact algebra
    r = 4 * ra * 1e-2 * neck.length / (math.pi * (2 * neck.radius0) ** 2)
    assert r == pytest.approx(10.0, rel=1e-12)


def _r0_closed_form(gamma_um, conc=167.0, diff=1.33, celsius=20.0):
    """R0 = VT Gamma / (2 C D F) [MOhm] in SI from scipy's CODATA constants (paper eq 7),
    written out here independently of spinepnp.laws."""
    vt = sc.k * (celsius + sc.zero_Celsius) / sc.e                     # V
    faraday = sc.physical_constants["Faraday constant"][0]            # C/mol
    # Gamma [1/um] -> 1/m, C [mM] = mol/m3, D [um2/ms] -> m2/s
    return vt * gamma_um * 1e6 / (2 * conc * diff * 1e-9 * faraday) / 1e6


def _cylinder_gamma(length, diam):
    return length / (math.pi * diam ** 2 / 4)                         # 1/um


def test_r0_closed_form_is_the_papers_number():
    # the paper's neck (r0 = 50 nm, L = 1 um, 167 mM, D = 1.33 um2/ms, 20 degC) has
    # R0 = 75 MOhm (its Table I and text, 2 digits): 1 % covers that rounding
    assert _r0_closed_form(_cylinder_gamma(1.0, 0.1)) == pytest.approx(75.0, rel=0.01)


# ------------------------------------------------------------------ NEURON: single spines

def _dendrite(h, g_pas=1e-4):
    d = h.Section(name="dend")
    d.L, d.diam, d.nseg, d.Ra = 200.0, 1.0, 21, 150.0
    d.insert("pas")
    for seg in d:
        seg.pas.g, seg.pas.e = g_pas, -65.0
    return d


def _steady(h, tstop=300.0):
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(tstop)


def _need_spnp(h):
    if not hasattr(h, "SpnpSpine"):
        pytest.skip("SpnpSpine mechanism not available (mechanisms/SpnpSpine.mod)")


@pytest.mark.parametrize("law", ["explicit", "explicit-ra"])
def test_explicit_neck_resistance_is_analytic(h, law):
    """A steady current into an explicit head drops 4 Ra L / (pi d^2) across the neck."""
    h.celsius = 20.0
    d = _dendrite(h)
    # 1 neck segment for the calibrated spine, 3 for the typical-Ra one (the probe's neck
    # current must not depend on the discretisation)
    sp = build.attach_spine(d(0.5), law, "thin", g_pas=0.0, head_synapse="exp2syn",
                            neck_nseg=1 if law == "explicit" else 3)
    geo = SPINE_SETS["thin"]
    r_analytic = 4 * sp.ra * 1e-2 * geo.neck_len / (math.pi * geo.neck_diam ** 2)  # MOhm
    if law == "explicit":
        # calibrated to the law's R0 at NEURON's temperature (exact algebra: 1e-12)
        assert r_analytic == pytest.approx(laws.ohmic_resistance(geo.neck, celsius=20.0),
                                           rel=1e-12)
        # and the law's resistivity VT/(2 C D F) is ~59 Ohm cm (docs/guide/laws.rst)
        assert sp.ra == pytest.approx(59.0, rel=0.02)
    else:
        assert sp.ra == DEFAULT_RA
    assert sp.r0 == pytest.approx(r_analytic, rel=1e-12)
    stim = h.IClamp(sp.head(0.5))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, 0.05
    vtop = h.Vector().record(sp.neck(1)._ref_v)
    vbase = h.Vector().record(d(0.5)._ref_v)
    probe = sp.record()
    _steady(h)
    # no membrane on the spine, so at steady state all 50 pA cross the neck; the dendrite
    # (tau = 10 ms) has relaxed for 30 tau (e^-30), so only round-off remains: 1e-7
    drop = vtop[-1] - vbase[-1]
    assert drop == pytest.approx(0.05 * r_analytic, rel=1e-7)
    assert probe.arrays()["ineck"][-1] == pytest.approx(0.05, rel=1e-7)


@pytest.mark.parametrize("law", ["ohmic", "ohmic-ra", "pnp", "pnp-dynamic"])
def test_point_spine_steady_drop(h, law):
    """SpnpSpine laws: steady head-dendrite drop for 50 pA into the head."""
    _need_spnp(h)
    h.celsius = 20.0
    d = _dendrite(h)
    geo = SPINE_SETS["thin"]
    sp = build.attach_spine(d(0.5), law, "thin", g_pas=0.0, iinj=0.05, gfloor=1e-12)
    # the closed form with scipy's constants: the same algebra in another order, 1e-12
    r0 = _r0_closed_form(_cylinder_gamma(geo.neck_len, geo.neck_diam))
    assert sp.r0_law == pytest.approx(r0, rel=1e-12)
    probe = sp.record()
    _steady(h, 2000.0 if law == "pnp-dynamic" else 300.0)
    a = probe.arrays()
    drop = a["vhead"][-1] - a["vdend"][-1]
    if law == "ohmic":
        expected = 0.05 * r0     # the calibrated reference: only the nonlinearity differs
        # the mechanism's own R0 (from NEURON's FARADAY and R) vs scipy CODATA: 1e-6
        assert sp.point.r0 == pytest.approx(r0, rel=1e-6)
    elif law == "ohmic-ra":
        expected = 0.05 * DEFAULT_RA * geo.neck.gamma * 1e-2
        assert sp.r0 == pytest.approx(expected / 0.05, rel=1e-12)
    else:
        # steady state of both PNP modes is the law (mode 2 relaxes with the head's
        # volume, tens of ms here; 2 s is > 50 time constants)
        expected = laws.delta_v(0.05, geo.neck, celsius=20.0)
    # tolerance 1e-5: NEURON's unit constants differ from CODATA 2018 at ~1e-6, gfloor
    # leaks 1e-12 uS, the head balance is solved to 1e-10 mV
    assert drop == pytest.approx(expected, rel=1e-5)
    assert a["ineck"][-1] == pytest.approx(0.05, rel=1e-5)


def test_every_law_has_a_head_synapse(h):
    """One AMPA event on each law's target depolarises the head by a similar amount."""
    _need_spnp(h)
    h.celsius = 20.0
    keep, peaks = [], {}
    for law in build.LAWS:
        d = _dendrite(h)
        sp = build.attach_spine(d(0.5), law, "thin")
        ns = h.NetStim()
        ns.number, ns.start = 1, 1.0
        nc = sp.netcon(ns, ampa=0.0005)
        keep += [d, sp, ns, nc, sp.record()]
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(15.0)
    for obj in keep[4::5]:
        a = obj.arrays()
        peaks[obj.spine.law] = a["vhead"].max() + 65.0
    assert all(p > 1.0 for p in peaks.values()), peaks
    # the calibrated Ohmic spines differ from the steady law only by the neck's
    # nonlinearity, small at these ~30 pA (a few % of a ~1 mV neck drop): 2 %
    for law in ("ohmic", "explicit"):
        assert peaks[law] == pytest.approx(peaks["pnp"], rel=0.02), peaks


def test_explicit_synapse_shim_equals_exp2syn(h):
    """The SpnpSpine synapse in an explicit head reproduces Exp2Syn exactly (AMPA)."""
    _need_spnp(h)
    h.celsius = 20.0
    traces, keep = [], []
    for which in ("spnp", "exp2syn"):
        d = _dendrite(h)
        sp = build.attach_spine(d(0.5), "explicit-ra", "thin", head_synapse=which)
        ns = h.NetStim()
        ns.number, ns.start = 1, 1.0
        nc = sp.netcon(ns, ampa=0.001)
        traces.append(h.Vector().record(sp.head(0.5)._ref_v))
        keep += [d, sp, ns, nc]
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(20.0)
    a, b = np.array(traces[0]), np.array(traces[1])
    assert a.max() > -60.0
    # same kinetics and normalisation; the shim's 1 kOhm neck puts I * 1e-3 MOhm
    # ~ 5e-5 mV between the synapse and the head at the ~50 pA peak: agreement to 2e-4 mV
    np.testing.assert_allclose(a, b, atol=2e-4)
    with pytest.raises(ValueError, match="NMDA"):
        keep[-3].set_weights(keep[-1], 0.001, 0.001)


def test_bad_arguments(h):
    d = _dendrite(h)
    with pytest.raises(ValueError, match="valid laws"):
        build.attach_spine(d(0.5), "cable")
    with pytest.raises(ValueError, match="do not apply"):
        build.attach_spine(d(0.5), "explicit", gna_head=0.01)
    with pytest.raises(ValueError, match="valid names"):
        build.attach_spine(d(0.5), "explicit", "giant")


def test_the_vocabulary_covers_attach_spine():
    import inspect
    names = [n for n, p in inspect.signature(build.attach_spine).parameters.items()
             if p.kind is not p.VAR_KEYWORD and n != "seg"]
    assert sorted(names) == sorted(build.SPINE_KEYWORDS)
    for key, (unit, meaning, laws_) in build.SPINE_KEYWORDS.items():
        assert meaning and set(laws_) <= set(build.LAWS), key


def test_every_keyword_takes_effect_or_names_itself(h):
    _need_spnp(h)
    d = _dendrite(h)
    # keywords that would do nothing with the chosen law are refused, by name
    for law, kw, word in [("pnp", dict(rneck=40.0), "rneck"),
                          ("pnp", dict(ra=100.0), "ra"),
                          ("explicit", dict(ra=100.0), "ra"),
                          ("pnp", dict(diff_anion=2.0), "diff_anion"),
                          ("pnp", dict(head_synapse="exp2syn"), "head_synapse"),
                          ("ohmic", dict(neck_nseg=3), "neck_nseg")]:
        with pytest.raises(ValueError, match=f"{word} = .* has no effect with law"):
            build.attach_spine(d(0.5), law, **kw)
    # bad values name the keyword
    with pytest.raises(ValueError, match="diff_anion"):
        build.attach_spine(d(0.5), "pnp-dynamic", diff_anion=0)
    with pytest.raises(ValueError, match="rneck"):
        build.attach_spine(d(0.5), "ohmic", rneck=float("nan"))
    # SpnpSpine's own spellings point to the vocabulary's
    for key, word in [("mode", "law"), ("diff", "diffusion"), ("gleak", "g_pas"),
                      ("eleak", "e_pas"), ("gamma", "neck=")]:
        with pytest.raises(ValueError, match=word):
            build.attach_spine(d(0.5), "pnp", **{key: 1.0})
    with pytest.raises(ValueError, match="synapse=dict"):
        build.attach_spine(d(0.5), "pnp", tau1=0.5)
    with pytest.raises(ValueError, match="unknown synapse"):
        build.attach_spine(d(0.5), "pnp", synapse=dict(tau=0.5))
    with pytest.raises(ValueError, match="nmda_tau2.*Exp2Syn"):
        build.attach_spine(d(0.5), "explicit", head_synapse="exp2syn",
                           synapse=dict(nmda_tau2=80.0))
    with pytest.raises(ValueError, match="rneck"):
        build.attach_spine(d(0.5), "pnp", params=dict(neck_len=1, neck_diam=0.1,
                                                      head_diam=0.5, rneck=3))
    with pytest.raises(ValueError, match="no membrane area"):
        build.attach_spine(d(1.0), "pnp")


def test_keywords_that_take_effect(h):
    _need_spnp(h)
    h.celsius = 20.0
    d = _dendrite(h)
    # a geometry keyword overrides the set's field (it used to collide with it)
    sp = build.attach_spine(d(0.5), "pnp", "thin", head_diam=0.8)
    assert sp.geometry.head_diam == sp.point.head_diam == 0.8
    assert sp.geometry.neck_len == SPINE_SETS["thin"].neck_len
    # a plain dict of SpineParams fields
    sp = build.attach_spine(d(0.5), "pnp", dict(neck_len=1.0, neck_diam=0.1,
                                                head_diam=0.5))
    assert sp.r0 == pytest.approx(_r0_closed_form(_cylinder_gamma(1.0, 0.1)), rel=1e-12)
    # rneck sets the Ohmic neck's resistance, which the mechanism then uses
    sp = build.attach_spine(d(0.5), "ohmic", "thin", rneck=40.0)
    assert sp.r0 == 40.0 and sp.point.rneck == 40.0
    sp = build.attach_spine(d(0.5), "pnp-dynamic", "thin", diff_anion=1.0)
    assert sp.point.diff_anion == 1.0


def test_spine_r0_is_neurons_at_celsius(h):
    """Spine.r0 is the R0 the mechanism uses at h.celsius, not the set's 20 degC."""
    _need_spnp(h)
    h.celsius = 6.3                            # NEURON's default
    d = _dendrite(h)
    sp = build.attach_spine(d(0.5), "pnp", "paper")
    assert sp.geometry.celsius == 20.0       # the set's quoted 75 MOhm is at 20 degC
    r0_63 = _r0_closed_form(_cylinder_gamma(1.0, 0.1), celsius=6.3)
    assert sp.r0 == pytest.approx(r0_63, rel=1e-12)             # same algebra: 1e-12
    # R0 ~ absolute temperature: 279.45 K / 293.15 K, 4.7 % below the 20 degC value
    assert sp.r0 / _r0_closed_form(_cylinder_gamma(1.0, 0.1)) == pytest.approx(
        279.45 / 293.15, rel=1e-12)
    h.finitialize(-65.0)
    # the mechanism's own R0 from NEURON's FARADAY and R (1e-6 from CODATA 2018)
    assert sp.point.r0 == pytest.approx(sp.r0, rel=1e-6)


def test_deprecated_add_spine_still_works(h):
    _need_spnp(h)
    from spinepnp.spine import add_spine
    d = _dendrite(h)
    with pytest.warns(DeprecationWarning, match="attach_spine"):
        pp = add_spine(d(0.5), neck=laws.Cylinder(1.0, 0.05), mode=2, head_diam=0.5)
    assert pp.mode == 2 and pp.head_diam == 0.5


def test_head_leak_follows_the_parent_segment(h):
    """gleak = g_pas x spine area to e_pas, taken from the parent's pas; no -70 mV."""
    _need_spnp(h)
    d = _dendrite(h, g_pas=2e-4)
    for seg in d:
        seg.pas.e = 0.0                       # a model that rests at 0 mV
    geo = SPINE_SETS["thin"]
    sp = build.attach_spine(d(0.5), "pnp", "thin")
    # head sphere pi d^2 + neck pi d L [um2]; S/cm2 x um2 = 1e-8 S = 1e-2 uS
    area = math.pi * geo.head_diam ** 2 + math.pi * geo.neck_diam * geo.neck_len
    assert sp.point.gleak == pytest.approx(2e-4 * area * 1e-2, rel=1e-12)
    assert sp.point.eleak == 0.0
    # the floor only guards solvability: far below the real leak
    assert sp.point.gfloor == build.HEAD_FLOOR < 0.01 * sp.point.gleak
    probe = sp.record()
    h.dt = 0.025
    h.finitialize(0.0)
    h.continuerun(5.0)
    # at rest everything sits at e_pas = 0 mV; the head balance is solved to 1e-10 mV
    assert abs(probe.arrays()["vhead"][-1]) < 1e-8
    # given values win; a g_pas without a reversal on a segment without pas is an error
    sp = build.attach_spine(d(0.5), "ohmic", "thin", g_pas=1e-4, e_pas=-60.0)
    assert sp.point.gleak == pytest.approx(1e-4 * area * 1e-2, rel=1e-12)
    assert sp.point.eleak == -60.0
    bare = h.Section(name="bare")
    with pytest.raises(ValueError, match="e_pas"):
        build.attach_spine(bare(0.5), "pnp", g_pas=1e-4)


def test_point_spine_keeps_the_explicit_spines_membrane(h):
    """An explicit spine (neck 1 um x 0.18 um, Ra 100 Ohm cm, Exp2Syn in the head)
    against mode 0 with the same resistance (neck plus half the head): the point spine
    folds the head and neck capacitance into the parent segment and carries their leak,
    so the two differ only by the head's quasi-static node."""
    _need_spnp(h)
    h.celsius = 34.0
    L, dn, dh, ra = 1.0, 0.18, 0.6, 100.0
    # NEURON's resistance between the dendrite node and the head's centre node (nseg 1
    # each): the whole neck 4 Ra L/(pi d^2) plus half the head; Ohm cm x um/um2 = 1e-2 MOhm
    r_total = (4 * ra * L / (math.pi * dn ** 2) + 4 * ra * (dh / 2) / (math.pi * dh ** 2)) * 1e-2
    geo = dict(neck_len=L, neck_diam=dn, head_diam=dh)
    ns = h.NetStim()
    ns.number, ns.start = 1, 2.0
    recs, keep = {}, [ns]
    for law in ("explicit-ra", "ohmic"):
        soma = h.Section(name=f"soma_{law}")
        soma.L = soma.diam = 15.0
        d = h.Section(name=f"dend_{law}")
        d.L, d.diam, d.nseg = 100.0, 0.6, 9   # the spine is 8 % of its segment's area
        for sec in (soma, d):
            sec.Ra, sec.cm = 100.0, 1.0
            sec.insert("pas")
            for seg in sec:
                seg.pas.g, seg.pas.e = 5e-5, -70.0
        d.connect(soma(1))
        if law == "ohmic":
            sp = build.attach_spine(d(0.5), law, geo, rneck=r_total)
        else:
            sp = build.attach_spine(d(0.5), law, geo, ra=ra, head_synapse="exp2syn")
        keep += [soma, d, sp, sp.netcon(ns, ampa=0.001, delay=0.0)]
        recs[law] = [h.Vector().record(ref) for ref in
                     (sp.head_v_ref, d(0.5)._ref_v, soma(0.5)._ref_v)]
    # the fold is the spine's membrane: cm x (pi dh^2 + pi dn L) / segment area
    seg_area = math.pi * 0.6 * 100.0 / 9
    assert keep[-2].cm_fold == pytest.approx((math.pi * dh ** 2 + math.pi * dn * L)
                                             / seg_area, rel=1e-12)
    h.dt = 0.025
    h.finitialize(-70.0)
    h.continuerun(40.0)
    peaks = {law: [np.array(v).max() + 70.0 for v in recs[law]] for law in recs}
    ex, om = peaks["explicit-ra"], peaks["ohmic"]
    assert ex[1] > 10.0                        # a real ~14 mV EPSP at the dendrite
    # dendrite and soma: the head's ~1 us charging time through the neck is all that
    # differs (measured 0.006 %; without the fold of the spine's capacitance 0.11 %)
    assert om[1] == pytest.approx(ex[1], rel=5e-4)
    assert om[2] == pytest.approx(ex[2], rel=5e-4)
    # head: the point spine's head has no capacitance (measured 0.08 %)
    assert om[0] == pytest.approx(ex[0], rel=5e-3)


# ------------------------------------------------------------------ spiny neuron

def _drive(h, cell, w, t0=5.0):
    keep = []
    for k, sp in enumerate(cell.spines):
        ns = h.NetStim()
        ns.number, ns.start = 1, t0
        keep += [ns, sp.netcon(ns, ampa=w)]
    return keep


@pytest.mark.parametrize("law", ["pnp", "explicit-ra"])
def test_spiny_neuron_fires_for_strong_input_only(h, law):
    if law == "pnp":
        _need_spnp(h)
    h.celsius = 6.3
    counts = []
    for w in (0.00005, 0.002):     # 20 spines x 0.05 nS (a ~3 mV EPSP) vs x 2 nS
        cell = build.build_spiny_neuron(20, law, "thin", dend_length=300.0)
        assert cell.dend.nseg % 2 == 1 and len(cell.spines) == 20
        keep = _drive(h, cell, w)
        tv = h.Vector()
        det = cell.spike_detector()
        det.record(tv)
        h.dt = 0.025
        h.finitialize(-65.0)
        h.continuerun(40.0)
        counts.append(len(tv))
        del keep, det, cell
        for sec in list(h.allsec()):
            h.delete_section(sec=sec)
    assert counts[0] == 0 and counts[1] >= 1, counts


# ------------------------------------------------------------------ network

def _rows(conns):
    return sorted((c.pre, c.post, c.spine, c.ampa, c.nmda, c.delay) for c in conns)


@pytest.mark.parametrize("nhost", [2, 3])
def test_connectivity_independent_of_rank_count(nhost):
    spec = build.NetworkSpec(n_cells=13, in_degree=4, seed=7)
    serial = build.network_connectivity(spec)
    owned = [build.gids_on_rank(spec.n_cells, r, nhost) for r in range(nhost)]
    assert sorted(g for part in owned for g in part) == list(range(spec.n_cells))
    split = [c for r in range(nhost) for c in build.network_connectivity(spec, owned[r])]
    assert _rows(split) == _rows(serial)


def test_connectivity_structure():
    spec = build.NetworkSpec(n_cells=10, in_degree=3, seed=3, frac_inh=0.2)
    conns = build.network_connectivity(spec)
    assert len(conns) == 30
    for post in range(10):
        pres = [c.pre for c in conns if c.post == post]
        assert len(set(pres)) == 3 and post not in pres
    for c in conns:
        assert (c.spine >= 0) == (c.pre < spec.n_exc)
        assert spec.delay[0] <= c.delay <= spec.delay[1]
    assert _rows(build.network_connectivity(spec)) == _rows(conns)       # reproducible
    other = build.network_connectivity(build.NetworkSpec(n_cells=10, in_degree=3, seed=4))
    assert _rows(other) != _rows(conns)


@pytest.mark.parametrize("n_cells, in_degree", [(10, 3), (40, 39), (30000, 6)])
def test_connectivity_draws_partners_from_the_other_cells(n_cells, in_degree):
    """The partners are drawn as from the explicit list of the other cells (the list
    itself is not built: with many cells it made the connectivity O(n^2)); 30000 cells
    take NumPy's set-based draw, the others its permutation."""
    import numpy as np
    spec = build.NetworkSpec(n_cells=n_cells, in_degree=in_degree, seed=11)
    posts = sorted({0, 1, n_cells // 2, n_cells - 1})
    conns = build.network_connectivity(spec, posts)
    for post in posts:
        rng = np.random.default_rng([11, 0, post])
        others = np.array([g for g in range(n_cells) if g != post])
        want = sorted(int(g) for g in rng.choice(others, size=in_degree, replace=False))
        assert sorted(c.pre for c in conns if c.post == post) == want


def test_network_runs_and_spikes(h):
    _need_spnp(h)
    h.celsius = 6.3
    spec = build.NetworkSpec(n_cells=6, in_degree=2, n_spines=6, dend_length=150.0)
    net = build.build_network(spec)
    assert sorted(net.cells) == list(range(6))
    spikes = net.run(100.0)
    assert spikes.shape[1] == 2 and len(spikes) > 0
    assert set(spikes[:, 0].astype(int)) <= set(range(6))
    net.pc.gid_clear()


class _RankProxy:
    """A ParallelContext that pretends to be rank ``rank`` of ``nhost`` (serial process).

    Lets one process build each rank's part of a network with the real NEURON calls, to
    check that the wiring does not depend on the number of ranks.
    """

    def __init__(self, pc, rank, nhost):
        self._pc, self._rank, self._nhost = pc, rank, nhost

    def id(self):
        return self._rank

    def nhost(self):
        return self._nhost

    def set_gid2node(self, gid, rank):
        assert rank == self._rank
        self._pc.set_gid2node(gid, 0)

    def __getattr__(self, name):
        return getattr(self._pc, name)


def _wiring(net):
    """(pre gid, post gid, spine index or -1, w0, w1, delay) of every gid_connect."""
    where = {}
    for gid, cell in net.cells.items():
        where[cell.shaft_syn.hname()] = (gid, -1)
        for k, sp in enumerate(cell.spines):
            where[sp.target.hname()] = (gid, k)
    rows = []
    for nc in net._keep:
        if nc.hname().startswith("NetCon") and nc.srcgid() >= 0:
            post, k = where[nc.syn().hname()]
            w1 = nc.weight[1] if k >= 0 else 0.0
            rows.append((int(nc.srcgid()), post, k, nc.weight[0], w1, nc.delay))
    return sorted(rows)


def test_network_wiring_same_for_one_and_two_ranks(h):
    """Build rank 0 and rank 1 of 2 (simulated) and the serial network: same synapses."""
    _need_spnp(h)
    spec = build.NetworkSpec(n_cells=7, in_degree=3, n_spines=4, dend_length=100.0,
                             seed=11)
    pc = h.ParallelContext()
    serial = _wiring(build.build_network(spec, pc))
    assert len(serial) == 7 * 3
    parts = []
    for rank in (0, 1):
        net = build.build_network(spec, _RankProxy(pc, rank, 2))
        assert sorted(net.cells) == build.gids_on_rank(7, rank, 2)
        parts += _wiring(net)
        del net
    pc.gid_clear()
    assert sorted(parts) == serial


def test_profile_neck_explicit_and_pnp(h):
    """A hyperboloid neck: the explicit cylinder keeps Gamma; pnp follows the law."""
    _need_spnp(h)
    h.celsius = 20.0
    neck = laws.Hyperboloid(a=0.04, b=0.04, c=0.2, half_length=0.5)
    # S(z) = pi a b (1 + z^2/c^2) on [-L, L]: Gamma = 2 c arctan(L/c) / (pi a b)
    # (paper eq 15-18), written out here
    gamma = 2 * 0.2 * math.atan(0.5 / 0.2) / (math.pi * 0.04 * 0.04)
    r0 = _r0_closed_form(gamma)
    d1, d2 = _dendrite(h), _dendrite(h)
    ex = build.attach_spine(d1(0.5), "explicit", "thin", neck=neck, g_pas=0.0,
                            head_synapse="exp2syn")
    pn = build.attach_spine(d2(0.5), "pnp", "thin", neck=neck, g_pas=0.0, iinj=0.05,
                            gfloor=1e-12)
    # an equivalent cylinder of the profile's length and Gamma: same R0 (exact algebra)
    assert ex.neck.L == pytest.approx(neck.length, rel=1e-12)
    assert 4 * ex.ra * 1e-2 * ex.neck.L / (math.pi * ex.neck.diam ** 2) == pytest.approx(
        r0, rel=1e-9)
    # closed forms against the geometry's quadrature-free Gamma: exact algebra, 1e-12
    assert pn.r0_law == pytest.approx(r0, rel=1e-12)
    assert pn.point.gamma == pytest.approx(gamma, rel=1e-12)
    probe = pn.record()
    _steady(h)
    a = probe.arrays()
    # steady state of the law for the hyperboloid (paper eq 18, corrected): 1e-5 as in
    # test_point_spine_steady_drop
    assert a["vhead"][-1] - a["vdend"][-1] == pytest.approx(
        laws.delta_v(0.05, neck, celsius=20.0), rel=1e-5)
