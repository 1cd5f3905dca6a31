"""SpnpSpineIons, the multi-species drop-in spine, against the paper's eq 10-14, the
Python reference spinepnp.ions.IonSpine (same geometry, species and cells), SpnpSpine
mode 2 (binary salt), mole conservation in a closed system, threads, the fixed step's
convergence to CVODE, and its refusals and validity flags.

The spines sit on a dendrite clamped (SEClamp, 1 ohm) at a fixed potential, the
reference's potential reference; the dendrite's ions are set with
spinepnp.ions.set_cytoplasm after the spine is inserted (which creates them)."""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from spinepnp import laws, validity
from spinepnp.constants import FARADAY
from spinepnp.ions import IonSpine, cytoplasm, set_cytoplasm
from spinepnp.pnp import Species, alpha, step

NC = 3                       # the mechanism's neck cells (DEFINE NC in the .mod file)
#: the paper's Table I solution (12/155/167 mM): no Ca (cai = 0), no fixed anion
PAPER = [Species("na", 1, 1.33, 12.0), Species("k", 1, 1.96, 155.0),
         Species("cl", -1, 2.03, 167.0)]
MECH = Path(__file__).resolve().parent.parent / "mechanisms"
#: mM um3 per nA ms of a monovalent ion: 1e-12 C / F, in units of 1e-18 mol
MOLES_PER_NA_MS = 1e6 / FARADAY


def a_conc(species):
    return sum(s.conc for s in species if s.name == "a")


def clamped_spine(h, species=None, v=0.0, **params):
    """A spine on a short dendrite clamped at v [mV]; returns (spine, dendrite, keep)."""
    species = cytoplasm() if species is None else species
    dend = h.Section(name="dend")
    dend.L, dend.diam, dend.nseg = 10.0, 1.0, 1
    sp = h.SpnpSpineIons(dend(0.5))
    sp.a_conc = a_conc(species)
    for name, val in params.items():
        setattr(sp, name, val)
    set_cytoplasm([dend], [s for s in species if s.name != "a"])
    for name, var in (("na", "nai"), ("k", "ki"), ("cl", "cli"), ("ca", "cai")):
        if name not in [s.name for s in species]:
            setattr(dend(0.5), var, 0.0)          # absent
    clamp = h.SEClamp(dend(0.5))
    clamp.dur1, clamp.amp1, clamp.rs = 1e9, v, 1e-6
    return sp, dend, clamp


def reference(species=None, neck_len=1.0, neck_diam=0.1, head_diam=0.5, **kw):
    """IonSpine with the mechanism's geometry and cells (no junction, no release site)."""
    return IonSpine(laws.Cylinder(neck_len, neck_diam / 2), math.pi * head_diam ** 3 / 6,
                    cytoplasm() if species is None else species, n_cells=NC,
                    celsius=20.0, **kw)


def play(h, sp, attr, wave, t_stop, dt=5e-3):
    """Play a waveform (nA) into a spine's constant current: linear interpolation
    between samples dt apart, a jump (two samples at one time) at each breakpoint."""
    t = np.arange(0.0, t_stop + 2 * dt, dt)
    brk = [b for b in wave.breakpoints if 0 < b < t_stop]
    t = np.sort(np.concatenate([t[~np.isin(t, brk)], brk, brk]))
    vals = [wave(x) for x in t]
    for b in brk:                         # the first sample at b: the value before it
        k = int(np.searchsorted(t, b))
        vals[k] = wave(b - 1e-12)
    tv, iv = h.Vector(t), h.Vector(vals)
    iv.play(getattr(sp, f"_ref_{attr}"), tv, True)
    return tv, iv


def run_cvode(h, t_stop, recs, times=None, atol=1e-7, v0=0.0):
    """CVODE run to t_stop; returns the recorded values at ``times`` (default: t_stop)
    as arrays (CVODE's interpolation at exactly those times). The default atol 1e-7
    gives the concentrations 1e-10 mM (their states' factor 1e-3; Ca 1e-13 mM), the
    accuracy the comparisons below are written for; the mechanism's default (1e-3)
    is for models."""
    times = np.array([t_stop] if times is None else times, dtype=float)
    h.celsius = 20.0
    cv = h.CVode()
    cv.active(1)
    cv.atol(atol)
    tv = h.Vector(times)
    vecs = [h.Vector() for _ in recs]
    for vec, r in zip(vecs, recs):
        vec.record(r, tv)
    h.finitialize(v0)
    cv.solve(t_stop + 1e-6)           # (a record time is taken once passed)
    return [np.array(v) for v in vecs]


# ------------------------------------------------------------------ steady state

@pytest.mark.parametrize("frac", [0.9, 0.3, -0.5, -0.95])
def test_steady_state_is_the_papers_three_species_law(h, frac):
    """Eq 10-14 with Na carrying the current beside K: V = VT ln w and
    c_Na = C_A w - C_K/w at the cell centres, up to 95 % of
    laws.multispecies_saturation_current in each direction."""
    neck = laws.Cylinder(1.0, 0.025)
    i = frac * laws.multispecies_saturation_current(neck)
    sp, dend, keep = clamped_spine(h, PAPER, neck_diam=0.05, head_diam=0.2, iinj_na=i)
    run_cvode(h, 300.0, [])           # the head's relaxation time is ~1 ms
    prof = laws.multispecies_profile((np.arange(NC) + 0.5) / NC, i, neck)
    # 1e-5: the two-point links reproduce eq 12's profile (observed 3e-6 in V, 1e-8 in
    # c_Na); the rest is what is left of the transient after 300 ms
    assert sp.vhead - dend(0.5).v == pytest.approx(laws.multispecies_delta_v(i, neck),
                                                   rel=1e-5)
    assert np.allclose([getattr(sp, f"na{j}") for j in range(NC)], prof.c_na, rtol=1e-5)
    assert sp.invalid == 0


def test_beyond_the_saturation_current_na_runs_out(h):
    """5 % beyond laws.multispecies_saturation_current no steady state exists: the head
    runs out of Na, the spine flags it (invalid 2) and nothing is NaN or negative."""
    neck = laws.Cylinder(1.0, 0.025)
    i = -1.05 * laws.multispecies_saturation_current(neck)
    sp, dend, keep = clamped_spine(h, PAPER, neck_diam=0.05, head_diam=0.2, iinj_na=i)
    (na,) = run_cvode(h, 30.0, [sp._ref_nahead], times=np.linspace(0.0, 30.0, 301))
    assert int(sp.invalid) & 2 and sp.tinvalid > 0
    assert np.all(np.isfinite(na)) and np.all(na >= 0)


# ------------------------------------------------------------------ transients

def _paired(peak, tpeak, gap):
    from spinepnp.pnp import Waveform
    a, b = alpha(peak, tpeak), alpha(peak, tpeak, gap)
    return Waveform(lambda t: a(t) + b(t), (0.0, gap), "paired alpha pulses")


@pytest.mark.parametrize("wave", [step(0.05), alpha(0.05, 0.5), _paired(0.05, 0.2, 1.0)],
                         ids=["step50pA", "alpha", "paired"])
def test_na_transients_match_the_reference(h, wave):
    """Head potential and head Na of a Na/K/Cl/Ca cytoplasm spine under Na currents
    into the head: the mechanism (CVODE) and IonSpine (BDF) integrate the same
    equations."""
    te = np.array([0.01, 0.2, 0.5, 1.0, 2.0, 4.0])
    sp, dend, keep = clamped_spine(h)
    pl = play(h, sp, "iinj_na", wave, te[-1]) if wave.breakpoints[0] > 0 or \
        "step" not in wave.description else None
    if pl is None:
        sp.iinj_na = wave(0.0)
    vh, vd, na = run_cvode(h, te[-1], [sp._ref_vhead, dend(0.5)._ref_v, sp._ref_nahead],
                           times=te)
    ref = reference().run({"na": wave}, te[-1], t_eval=te)
    x = vh - vd
    # 1e-4: both integrators' tolerances (1e-10 mM here, rtol 1e-8 there) and the
    # played waveform's linear interpolation (5 us); observed < 2e-5
    assert np.allclose(x, ref.v_head, rtol=1e-4)
    assert np.allclose(na, ref.head["na"], rtol=1e-4)


@pytest.mark.parametrize("site_gamma", [0.0, 4.586])
def test_na_runout_time_matches_the_reference(h, site_gamma):
    """-50 pA of Na out of the head: the head's Na runs out (with a release site:
    earlier, where the membrane's Na flux is drawn through the head); the spine flags
    it (2) at the reference's run-out time (the issue's 5 %) and stays finite, >= 0."""
    sp, dend, keep = clamped_spine(h, iinj_na=-0.05, site_gamma=site_gamma)
    na, vh = run_cvode(h, 5.0, [sp._ref_nahead, sp._ref_vhead],
                       times=np.linspace(0.0, 5.0, 501))
    ref = reference(site_gamma=site_gamma).run({"na": -0.05}, 5.0)
    if site_gamma:
        assert ref.depleted == ("na", "site")
    assert ref.invalid and ref.depleted[0] == "na"
    assert int(sp.invalid) & 2
    # the 5 %; same equations, so observed ~1e-3 (CVODE's step at the flag)
    assert sp.tinvalid == pytest.approx(ref.t_invalid, rel=0.05)
    assert np.all(np.isfinite(vh)) and np.all(na >= 0)
    rec = validity.invalid_spines(h=h)
    assert [r["flags"] for r in rec] == [[2]]
    assert rec[0]["reasons"] == [validity.INVALID_IONS[2]]


def test_calcium_buffer_and_extrusion_match_the_reference(h):
    """A Ca current into the head (buffer 20, extrusion 12 ms) and then none: head Ca
    rises and decays as in the reference; the pump's current flows through the neck."""
    wave = step(0.002, 0.0, 2.0)
    te = np.array([0.5, 1.0, 1.9, 5.0, 20.0])          # (not at the step's end)
    sp, dend, keep = clamped_spine(h)
    pl = play(h, sp, "iinj_ca", wave, te[-1])
    ca, vh, vd = run_cvode(h, te[-1], [sp._ref_cahead, sp._ref_vhead, dend(0.5)._ref_v],
                           times=te)
    ref = reference().run({"ca": wave}, te[-1], t_eval=te)
    # 1e-4: integrator tolerances and the step's 1 us interpolation ramp
    assert np.allclose(ca, ref.head["ca"], rtol=1e-4)
    assert np.allclose(vh - vd, ref.v_head, rtol=1e-3, atol=1e-6)


# ------------------------------------------------------------------ binary salt

def test_binary_salt_reproduces_mode2(h):
    """Na + Cl only (K and Ca at 1e-9 mM): a 50 pA Na step gives SpnpSpine mode 2's
    head potential, exactly at steady state and within the difference of the two neck
    discretisations in the transient."""
    binary = [Species("na", 1, 1.33, 167.0), Species("k", 1, 1.96, 1e-9),
              Species("cl", -1, 2.03, 167.0), Species("ca", 2, 0.79, 1e-9),
              Species("a", -1, 0.0, 3e-9)]
    sp, dend, keep = clamped_spine(h, binary)
    m2 = h.SpnpSpine(dend(0.5))
    m2.mode, m2.conc, m2.diff, m2.diff_anion = 2, 167.0, 1.33, 2.03
    # the current switched on at 0.1 ms (mode 2 starts at the steady profile of the
    # head currents at finitialize)
    on = step(0.05, 0.1)
    pl = [play(h, sp, "iinj_na", on, 200.2, dt=0.05), play(h, m2, "iinj", on, 200.2, dt=0.05)]
    m2.neck_len, m2.neck_diam, m2.head_diam = 1.0, 0.1, 0.5
    m2.gfloor = 1e-12                     # (its floor leak would take 1.5e-3 of 50 pA)
    te = 0.1 + np.array([0.01, 0.5, 2.0, 10.0, 200.0])
    v1, v2, vd = run_cvode(h, te[-1], [sp._ref_vhead, m2._ref_vhead, dend(0.5)._ref_v],
                           times=te)
    x1, x2 = v1 - vd, v2 - vd
    # steady state (200 ms): the binary law, exactly in mode 2 (log-mean cells); here
    # to the two-point links' second-order error, ~(du per link)^2/12: 3.5 mV over three
    # cells' links is du ~0.046 per link, 1.8e-4 (observed 1.3e-4)
    law = laws.delta_v(0.05, laws.Cylinder(1.0, 0.05))
    assert x2[-1] == pytest.approx(law, rel=1e-5)     # (observed 3e-6)
    assert x1[-1] == pytest.approx(law, rel=3e-4)
    # transient: 6 cells here, 4 cells of a log-mean law and half a cell of neck volume
    # in the head there; 1e-3 (observed 1e-4)
    assert np.allclose(x1, x2, rtol=1e-3)


# ------------------------------------------------------------------ conservation

def closed_system_moles(h):
    """Run the closed system (see the test); returns {species: (start, end, expected)}
    in mM um3."""
    from neuron import rxd
    sp, dend, keep = clamped_spine(h, iinj_na=0.03, iinj_k=-0.02, iinj_ca=0.001,
                                   ca_tau=1e12)
    dend.L, dend.diam = 2.0, 0.5                  # a pool of 0.39 um3, like the spine
    keep.dur1 = 0                                 # clamp off: the pool's v floats
    cyt = rxd.Region([dend], nrn_region="i")
    conc = {s.name: s.conc for s in cytoplasm()}
    ions = {n: rxd.Species(cyt, name=n, charge=z, initial=conc[n], d=0, atolscale=1e-5)
            for n, z in (("na", 1), ("k", 1), ("cl", -1), ("ca", 2))}
    h.celsius = 20.0
    cv = h.CVode()
    cv.active(1)
    cv.atol(1e-7)                 # 1e-10 mM in the spine (its states' factor 1e-3)
    h.finitialize(0.0)

    def moles():
        out = {}
        for n in ("na", "k", "cl", "ca"):
            node = ions[n].nodes[0]
            neck = sum(getattr(sp, f"{n}{j}") for j in range(NC)) * \
                (math.pi * 0.05 ** 2 * 1.0 / NC)
            head = getattr(sp, f"{n}h") * math.pi * 0.5 ** 3 / 6 * (
                1.0 + sp.ca_buffer if n == "ca" else 1.0)
            out[n] = node.concentration * node.volume + neck + head
        return out
    start = moles()
    cv.solve(5.0)
    end = moles()
    injected = {"na": 0.03, "k": -0.02, "cl": 0.0, "ca": 0.001 / 2}
    return {n: (start[n], end[n], start[n] + injected[n] * 5.0 * MOLES_PER_NA_MS)
            for n in start}


def test_closed_system_conserves_moles(tmp_path):
    """The dendrite a well-mixed pool (rxd, no diffusion, one segment), the spine's
    ionic currents its only exchange: per species, pool + neck + head (bound Ca
    included) = start + what the head currents injected, to 1e-9 relative. (In a fresh
    process: rxd keeps its state after the sections are gone.)"""
    import json
    import subprocess
    import sys
    out = tmp_path / "moles.json"
    code = ("import sys, json; sys.path.insert(0, sys.argv[1]); import test_spine_ions as T; "
            "from spinepnp.loader import load_mechanisms; load_mechanisms(); "
            "from neuron import h; h.load_file('stdrun.hoc'); "
            "json.dump(T.closed_system_moles(h), open(sys.argv[2], 'w'))")
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    for n, (start, end, expect) in res.items():
        # the 1e-9 relative (CVODE's absolute tolerances: 1e-10 mM in the
        # spine, 1e-12 mM in the pool; observed ~1e-10 relative)
        assert end == pytest.approx(expect, rel=1e-9), (n, start, end, expect)
    assert res["na"][1] > 1.01 * res["na"][0]          # (something did move)


def test_ionic_currents_are_the_neck_current(h):
    """The dendrite sees ina + ik + icl + ica = -ineck, split by ion (fixed step)."""
    sp, dend, keep = clamped_spine(h, iinj_na=0.05, gleak=1e-4)
    h.celsius = 20.0
    h.cvode_active(0)
    h.dt = 0.025
    h.finitialize(-70.0)
    h.continuerun(2.0)
    h.fcurrent()                          # currents and ineck from one evaluation
    seg = dend(0.5)
    to_na = seg.area() * 1e-2                 # mA/cm2 x um2 -> nA
    total = (seg.ina + seg.ik + seg.icl + seg.ica) * to_na
    assert total == pytest.approx(-sp.ineck, rel=1e-9)    # (round-off of one sum)
    # current head -> dendrite: Na leaves the neck into the dendrite (inward, < 0) and
    # Cl leaves the dendrite into the neck (an outward Cl flux: inward current, < 0)
    assert seg.ina < 0 and seg.icl < 0


# ------------------------------------------------------------------ engines

def _two_cells(h):
    """Two passive dendrites with an HH-ring and a Boltzmann-ring spine each, AMPA and
    NMDA events (the cell layout of tests/test_spine_parallel.py, whose run() drives
    them)."""
    cells = []
    for k in range(2):
        d = h.Section(name=f"dend{k}")
        d.L, d.diam, d.nseg = 50.0, 1.0, 1
        d.insert("pas")
        spines = [h.SpnpSpineIons(d(0.5)) for j in range(2)]
        spines[0].gna_head = 0.01
        spines[1].gbz_head = 0.001
        set_cytoplasm([d])
        ns = h.NetStim()
        ns.start, ns.number, ns.interval, ns.noise = 1.0 + k, 3, 4.0, 0
        ncs = []
        for s in spines:
            nc = h.NetCon(ns, s)
            nc.weight[0], nc.weight[1] = 0.002, 0.001
            ncs.append(nc)
        cells.append({"sec": d, "spines": spines, "stims": [ns], "ncs": ncs})
    return cells


def _engine_run(h, nthread=1, use_coreneuron=False):
    """v, vhead and ineck of the two cells through psolve (fixed step, 40 ms)."""
    from test_spine_parallel import run
    h.celsius = 20.0
    return run(h, _two_cells(h), nthread=nthread, use_coreneuron=use_coreneuron)


@pytest.mark.slow
def test_coreneuron_equals_neuron(tmp_path):
    """The CoreNEURON build (cached) runs the same traces as NEURON, in fresh processes
    (a process holds one build)."""
    import os
    import subprocess
    import sys
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    outs = {}
    for name, core in (("nrn", "0"), ("core", "1")):
        out = tmp_path / f"{name}.npy"
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import numpy as np; "
                "import test_spine_ions as T; "
                "from spinepnp.loader import load_mechanisms; "
                "load_mechanisms(coreneuron=True); from neuron import h; "
                "h.load_file('stdrun.hoc'); "
                "np.save(sys.argv[2], T._engine_run(h, use_coreneuron=sys.argv[3] == '1'))")
        proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent),
                               str(out), core], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outs[name] = np.load(out)
    assert np.all(np.isfinite(outs["nrn"]))
    # 1e-6 (mV, nA): the same C++ arithmetic in both engines, differences are rounding
    assert np.max(np.abs(outs["core"] - outs["nrn"])) <= 1e-6


def test_threads_equal_single_thread(h):
    from test_spine_parallel import run
    h.celsius = 20.0
    cells = _two_cells(h)
    one = run(h, cells, nthread=1)
    two = run(h, cells, nthread=2)
    assert np.all(np.isfinite(one))
    assert np.array_equal(one, two)          # same arithmetic per spine: bitwise


def test_fixed_step_converges_to_cvode_first_order(h):
    """An AMPA + NMDA EPSP: the fixed step's head potential error against CVODE halves
    with dt (backward Euler)."""
    te = np.array([1.5, 2.0, 4.0])

    def run(dt):
        sp, dend, keep = clamped_spine(h, v=-70.0)
        ns = h.NetStim()
        ns.start, ns.number = 0.5, 1
        nc = h.NetCon(ns, sp)
        # the event at 1 ms, a multiple of every dt; 0.5 nS AMPA + NMDA
        nc.weight[0], nc.weight[1], nc.delay = 0.0005, 0.0005, 0.5
        h.celsius = 20.0
        if dt is None:
            vh, na = run_cvode(h, 5.0, [sp._ref_vhead, sp._ref_nahead], times=te,
                               atol=1e-9, v0=-70.0)
            t = te
        else:
            h.cvode_active(0)
            h.dt = dt
            tv = h.Vector().record(h._ref_t)
            rv, rn = h.Vector().record(sp._ref_vhead), h.Vector().record(sp._ref_nahead)
            h.finitialize(-70.0)
            h.continuerun(5.0)
            t, vh, na = np.array(tv), np.array(rv), np.array(rn)
        nc.active(False)
        for sec in list(h.allsec()):
            h.delete_section(sec=sec)
        return np.interp(te, t, vh), np.interp(te, t, na)
    ref_v, ref_na = run(None)
    errs = []
    for dt in (0.04, 0.02, 0.01):
        v, na = run(dt)
        errs.append(np.max(np.abs(na - ref_na)))
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    # first order: observed orders ~1 (0.8 to 1.2 allows the transient's own
    # structure at the coarsest dt)
    assert np.all(orders > 0.8) and np.all(orders < 1.3), (errs, orders)


# ------------------------------------------------------------------ refusals

def _table_from_checks():
    text = (MECH / "spine_ions_checks.inc").read_text()
    found = re.findall(r"badparam = (\d+)\n\s*printf\(\"SpnpSpineIons refused \(badparam "
                       r"\d+\): (\w+) = %g[^(]*\(allowed (.*?)\): no current", text)
    return {int(c): (n, a) for c, n, a in found}


def test_checks_file_matches_the_table():
    """spine_ions_checks.inc uses the numbers, names and ranges of BADPARAM_IONS (rule
    42's printed range is its own sentence)."""
    table = _table_from_checks()
    text = (MECH / "spine_ions_checks.inc").read_text()
    assert "badparam = 42" in text and "(badparam 42): a_conc" in text
    table[42] = ("a_conc", "")
    assert set(table) == set(validity.BADPARAM_IONS)
    for code, (name, allowed) in table.items():
        assert name == validity.BADPARAM_IONS[code][0], code
        if code != 42:
            assert allowed == validity.BADPARAM_IONS[code][1], code


BAD = {"neck_len": 0, "neck_diam": -1, "head_diam": math.inf, "gamma": -1,
       "neck_vol": -1, "d_na": 0, "d_k": 0, "d_cl": 0, "d_ca": 0, "a_conc": -1,
       "d_a": -1, "iinj_na": math.nan, "iinj_k": math.inf, "iinj_ca": math.nan,
       "gleak": -1, "eleak": math.nan, "tau1": 0, "tau2": 0, "pk_pna": -1,
       "nmda_tau1": 0, "nmda_tau2": -1, "mg": -1, "ca_frac": 1.0, "gna_head": -1,
       "ena": math.nan, "ah0": -1, "gbz_head": -1, "ebz": math.inf, "vhalf_bz": math.nan,
       "slope_bz": 0, "ca_buffer": -1, "ca_tau": 0, "site_gamma": -1,
       "cfloor_frac": 1.0}
SEGMENT = {"nai": -1, "ki": -1, "cli": math.nan, "cai": -1e-3, "nao": -1, "ko": -1}


@pytest.mark.parametrize("code", sorted(validity.BADPARAM_IONS))
def test_every_rule_refuses(h, code, capfd):
    """Each rule: finitialize raises naming the spine, parameter and fix; the spine
    prints one line, delivers no current and leaves the dendrite at rest."""
    name = validity.BADPARAM_IONS[code][0]
    sp, dend, keep = clamped_spine(h, iinj_na=0.05)
    keep.dur1 = 0                         # clamp off
    if code == 42:
        sp.a_conc = 100.0
    elif name == "celsius":
        pass
    elif name in SEGMENT:
        setattr(dend(0.5), name, SEGMENT[name])
    else:
        setattr(sp, name, BAD[name])
    if name == "celsius":
        h.celsius = -300.0
    h.cvode_active(0)
    with pytest.raises(RuntimeError) as err:
        h.finitialize(-65.0)
    h.celsius = 20.0
    msg = str(err.value)
    assert f"badparam {code}" in msg and name in msg
    assert validity.BADPARAM_IONS[code][2] in msg
    assert sp.badparam == code
    lines = [ln for ln in capfd.readouterr().out.splitlines() if "refused" in ln]
    assert len(lines) == 1 and f"(badparam {code})" in lines[0]
    # no current: the floating dendrite stays at rest (no pas either); the spine's
    # states stay finite
    if name not in ("celsius",):
        h.fadvance()
        h.fadvance()
        assert dend(0.5).v == pytest.approx(-65.0, abs=1e-9)
        assert all(math.isfinite(getattr(sp, f"{n}{j}")) for n in ("na", "k", "cl", "ca")
                   for j in list(range(NC)) + ["h"])


def test_valid_spine_is_not_refused(h):
    sp, dend, keep = clamped_spine(h)
    h.finitialize(-65.0)
    assert sp.badparam == 0 and validity.refused_spines(h) == []


# ------------------------------------------------------------------ synaptic currents

def _ghk(v, cin, cout, vt):
    """GHK current shape u (cin - cout e^-u)/(1 - e^-u) VT [mV mM], outward positive
    (written out here independently of the mechanism)."""
    u = v / vt
    return vt * u * (cin - cout * math.exp(-u)) / (1.0 - math.exp(-u))


@pytest.mark.parametrize("v", [-70.0, -20.0, 30.0])
def test_ampa_and_nmda_carry_their_ions(h, v):
    """A short wide neck and a tiny head (the head at the dendrite's potential and
    concentrations, the neck passing the head's fluxes through at once): the dendrite
    receives the AMPA + NMDA currents by ion, as GHK with P_K/P_Na = pk_pna predicts,
    NMDA's Ca being ca_frac of its inward current."""
    from spinepnp.constants import thermal_voltage
    sp, dend, keep = clamped_spine(h, v=v, neck_len=0.05, neck_diam=0.4, head_diam=0.1,
                                   tau1=20.0, tau2=40.0, nmda_tau1=20.0, nmda_tau2=40.0,
                                   pk_pna=1.2, ca_frac=0.1, mg=1.0)
    seg = dend(0.5)
    seg.nao, seg.ko = 140.0, 5.0
    ns = h.NetStim()
    ns.start, ns.number = 0.1, 1
    nc = h.NetCon(ns, sp)
    nc.weight[0], nc.weight[1], nc.delay = 0.001, 0.002, 0.1
    h.celsius = 20.0
    h.cvode_active(0)
    h.dt = 0.005
    h.finitialize(v)
    h.continuerun(5.0)
    nc.active(False)
    h.fcurrent()
    assert sp.gampa > 0 and sp.gnmda > 0
    vt = thermal_voltage(20.0)
    cnorm = 140.0 + 1.2 * 5.0
    bl = 1.0 / (1.0 + 1.0 / 3.57 * math.exp(-0.062 * sp.vhead))
    g = sp.gampa + sp.gnmda * bl
    i_na = g * _ghk(sp.vhead, sp.nahead, 140.0, vt) / cnorm          # outward [nA]
    i_k = g * 1.2 * _ghk(sp.vhead, sp.khead, 5.0, vt) / cnorm
    mono_nmda = sp.gnmda * bl * (_ghk(sp.vhead, sp.nahead, 140.0, vt)
                                 + 1.2 * _ghk(sp.vhead, sp.khead, 5.0, vt)) / cnorm
    i_ca = 0.1 / 0.9 * min(mono_nmda, 0.0)
    to_na = seg.area() * 1e-2
    # 1e-3 of the current: the head's concentrations lag its fluxes by its ~us filling
    # time; the neck's diffusion potential (< 1 uV) moves vhead off v
    scale = abs(i_na) + abs(i_k)
    assert seg.ina * to_na == pytest.approx(i_na, abs=1e-3 * scale)
    assert seg.ik * to_na == pytest.approx(i_k, abs=1e-3 * scale)
    assert seg.ica * to_na == pytest.approx(i_ca, abs=1e-3 * scale + 1e-9)
    assert sp.vhead == pytest.approx(v, abs=0.05)
    if v < 0:
        assert i_ca < 0 and i_na < 0                # inward Na and Ca at rest


def test_mobile_anion_matches_the_reference_and_carries_ia(h):
    """A mobile fixed anion (d_a = 1 um2/ms): its share of the neck current reaches the
    dendrite as the NONSPECIFIC_CURRENT ia (ina + ik + icl + ica + ia = -ineck), and the
    head potential follows the reference with the same mobile anion."""
    species = cytoplasm(d_a=1.0)
    te = np.array([0.01, 0.5, 2.0])
    sp, dend, keep = clamped_spine(h, species, iinj_na=0.05, d_a=1.0)
    vh, vd = run_cvode(h, te[-1], [sp._ref_vhead, dend(0.5)._ref_v], times=te)
    ref = reference(species).run({"na": 0.05}, te[-1], t_eval=te)
    # 1e-4: both integrators' tolerances (as for the other species)
    assert np.allclose(vh - vd, ref.v_head, rtol=1e-4)
    h.fcurrent()
    seg = dend(0.5)
    to_na = seg.area() * 1e-2
    ia = -sp.ineck - (seg.ina + seg.ik + seg.icl + seg.ica) * to_na
    assert ia < -1e-4 * abs(sp.ineck)         # anions leave the dendrite: inward current
    # (the nonspecific current is not a segment variable: the rest of the neck current)


def test_head_rings_carry_sodium(h):
    """A Boltzmann ring in a head held at the dendrite's potential (short wide neck,
    tiny head): the dendrite receives its current as Na, gbz b(v) (v - ebz)."""
    v = -20.0
    sp, dend, keep = clamped_spine(h, v=v, neck_len=0.05, neck_diam=0.4, head_diam=0.1,
                                   gbz_head=0.001, ebz=50.0, vhalf_bz=-30.0, slope_bz=5.0)
    h.celsius = 20.0
    h.cvode_active(0)
    h.dt = 0.005
    h.finitialize(v)
    h.continuerun(2.0)
    h.fcurrent()
    seg = dend(0.5)
    b = 1.0 / (1.0 + math.exp(-(sp.vhead + 30.0) / 5.0))
    expect = 0.001 * b * (sp.vhead - 50.0)                # outward [nA]: negative
    # 1e-3: the head's concentrations lag its flux by its ~us filling time
    assert seg.ina * seg.area() * 1e-2 == pytest.approx(expect, rel=1e-3)
    assert abs(seg.ik * seg.area() * 1e-2) < 1e-3 * abs(expect)


# ------------------------------------------------------------------ CVODE's cost

def _cvode_steps(h, kind, neck_vol):
    """CVODE steps (fadvance calls, default tolerances) for one 1 nS AMPA event at 5 ms
    into the README's spine on a passive dendrite, 50 ms: SpnpSpine mode 1 or
    SpnpSpineIons in cytoplasm."""
    from neuron_helpers import passive_dendrite
    from spinepnp.ions import insert_ions
    dend = passive_dendrite(h)
    if kind == "ions":
        insert_ions([dend])
        sp = h.SpnpSpineIons(dend(0.5))
        set_cytoplasm([dend])
    else:
        sp = h.SpnpSpine(dend(0.5))
        sp.mode = 1
    sp.neck_vol = neck_vol
    stim = h.NetStim()
    stim.start, stim.number = 5.0, 1
    nc = h.NetCon(stim, sp)
    nc.weight[0] = 0.001
    h.celsius = 20.0
    cv = h.CVode()
    cv.active(1)
    cv.atol(1e-3)
    h.finitialize(-70.0)
    steps = 0
    while h.t < 50.0 - 1e-9:
        h.fadvance()
        steps += 1
    cv.active(0)
    nc.active(False)
    return steps, sp.invalid


@pytest.mark.parametrize("neck_vol", [0.0, 3.8e-4], ids=["readme", "small-neck"])
def test_cvode_steps_near_mode1(h, neck_vol):
    """Under CVODE the ion spine costs a small multiple of SpnpSpine mode 1's steps (the
    mechanism issue's bound for mode 2 is 3x). Its states are the modes of the
    neck's deviation from the straight profile and K follows from electroneutrality
    (see the mechanism's COMMENT): with the cells and K as states, CVODE's diagonal
    Newton matrix missed the neck's and the field's coupling and took 5012 and 49317
    steps against mode 1's 204 (this protocol with three events, 2026-12-02).
    Measured here (2026-12-02): README spine 228 vs 88 steps (2.6x); the 20x smaller
    neck 310 vs 88 (3.5x: its modes are 20x faster, and what is left off the
    diagonal, the head's and the field's coupling, weighs more). Bounds: the issue's
    3x, and 5x for the small neck."""
    n1, _ = _cvode_steps(h, "mode1", neck_vol)
    ni, invalid = _cvode_steps(h, "ions", neck_vol)
    print(f"neck_vol {neck_vol}: CVODE steps mode 1 {n1}, ions {ni}")
    assert invalid == 0
    assert ni <= (3 if neck_vol == 0 else 5) * n1, (n1, ni)
