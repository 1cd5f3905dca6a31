"""SpnpRing (mechanisms/SpnpRing.mod) against the Python rate functions (spinepnp.channels).

The ring is one point process carrying the current of a ring of channels: HH sodium
gating m^3 h (summary eq 13, corrected) or an instantaneous Boltzmann activation (the
paper's Fig 3 inset). Everything here compares NEURON's numbers with
:mod:`spinepnp.channels`, the single Python definition.
"""

import numpy as np
import pytest
import scipy.constants as sc

from spinepnp import channels




# Voltage grid: a wide sweep, v = -40 exactly (the removable singularity of alpha_m)
# and points around it on both sides at every scale down to 1e-12 mV, and both sides of
# the Taylor/quotient switch in the .mod (|v + 40| = 0.1 mV).
V_GRID = np.unique(np.concatenate([
    np.linspace(-150.0, 100.0, 1001),
    [-40.0],
    -40.0 + np.outer([-1.0, 1.0], 10.0 ** np.arange(-12, 1)).ravel(),
    [-40.1 - 1e-9, -40.1 + 1e-9, -39.9 - 1e-9, -39.9 + 1e-9],
]))


def _ring(h, **params):
    sec = h.Section(name="ring_host")
    sec.L = sec.diam = 10.0
    sec.nseg = 1
    ring = h.SpnpRing(sec(0.5))
    for k, val in params.items():
        setattr(ring, k, val)
    return sec, ring


@pytest.mark.parametrize("ah0", [channels.AH0_SUMMARY, channels.AH0_DAYAN_ABBOTT])
def test_rate_functions_equal_channels(h, ah0):
    _, ring = _ring(h, ah0=ah0)
    py = {"alpha_m": channels.alpha_m(V_GRID), "beta_m": channels.beta_m(V_GRID),
          "alpha_h": channels.alpha_h(V_GRID, ah0), "beta_h": channels.beta_h(V_GRID)}
    for name, ref in py.items():
        mod = np.array([getattr(ring, name)(v) for v in V_GRID])
        # Same formulas in double precision: exp and the divisions differ by a few ulp.
        # Near v = -40 the .mod uses a 4-term Taylor series (truncation < 4e-17) where
        # channels uses 1 + x/2 below |x| = 1e-6 (truncation x^2/12 < 1e-13) and
        # x/(-expm1(-x)) above; the .mod's quotient x/(1 - exp(-x)) for |x| >= 1e-2 has
        # rounding error ~1e-16/|x| <= 1e-14. Hence 1e-12 relative.
        np.testing.assert_allclose(mod, ref, rtol=1e-12, atol=0, err_msg=name)
    assert ring.alpha_m(-40.0) == 1.0       # exact value of the removable singularity


def test_steady_state_and_time_constants_equal_channels(h):
    _, ring = _ring(h)
    got = {k: [] for k in ("minf", "hinf", "mtau", "htau")}
    for v in V_GRID:
        ring.rates(v)
        for k in got:
            got[k].append(getattr(ring, k))
    ref = {"minf": channels.m_inf(V_GRID), "hinf": channels.h_inf(V_GRID),
           "mtau": channels.tau_m(V_GRID), "htau": channels.tau_h(V_GRID)}
    for k in got:
        # built from the rates above by the same two operations: a few ulp more
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=0, err_msg=k)


@pytest.mark.parametrize("gmax,erev,vhalf,slope", [
    (0.001, 50.0, -30.0, 5.0),
    (2.5, -80.0, 0.0, 0.5),      # steep: exp arguments up to ~500, no overflow allowed
    (1e-4, 0.0, -60.0, 20.0),
])
def test_boltzmann_current_equals_channels(h, gmax, erev, vhalf, slope):
    sec, ring = _ring(h, kinetics=1, gmax=gmax, erev=erev, vhalf=vhalf, slope=slope)
    mod = []
    for v in V_GRID:
        h.finitialize(v)
        h.fcurrent()              # evaluates BREAKPOINT at the present v
        mod.append(ring.i)
    mod = np.array(mod)
    ref = channels.boltzmann_current(V_GRID, gmax, erev, vhalf, slope)
    assert np.all(np.isfinite(mod))
    # The .mod evaluates 1/(1 + exp(-x)) (or e^x/(1 + e^x)), channels the overflow-free
    # 0.5 (1 - tanh(-x/2)): equal to a few ulp where the activation is O(1), but the
    # tanh form has an ABSOLUTE error ~1e-16 in the far tail where the activation is
    # ~1e-16 or less. Hence rtol 1e-12 plus atol = 4 ulp(1) of activation times the
    # largest driving force.
    atol = 4 * np.finfo(float).eps * gmax * np.max(np.abs(V_GRID - erev))
    np.testing.assert_allclose(mod, ref, rtol=1e-12, atol=atol)


def test_hh_gates_follow_exponential_relaxation_under_clamp(h):
    """m(t), h(t) at a clamped voltage relax to m_inf, h_inf with tau_m, tau_h (eq 7)."""
    sec, ring = _ring(h, gmax=0.002, erev=50.0)
    clamp = h.SEClamp(sec(0.5))
    v_hold, v_test = -70.0, -20.0
    clamp.dur1 = 1e9
    clamp.amp1 = v_test
    clamp.rs = 1e-9          # MOhm: clamp error i*rs < 1e-10 mV for the ring's ~0.03 nA
    rec = {k: h.Vector() for k in ("t", "v", "m", "h", "i")}
    rec["t"].record(h._ref_t)
    rec["v"].record(sec(0.5)._ref_v)
    rec["m"].record(ring._ref_m)
    rec["h"].record(ring._ref_h)
    rec["i"].record(ring._ref_i)
    h.dt = 0.025
    h.finitialize(v_test)
    # The membrane sits at v_test from t = 0 while the gates start from v_hold: a
    # voltage step with no charging transient.
    ring.m = float(channels.m_inf(v_hold))
    ring.h = float(channels.h_inf(v_hold))
    h.continuerun(10.0)
    t, v, m, hh, i = (np.array(rec[k]) for k in ("t", "v", "m", "h", "i"))
    t, v, m, hh, i = t[1:], v[1:], m[1:], hh[1:], i[1:]   # index 0 was recorded at init
    m_an = channels.m_inf(v_test) + (channels.m_inf(v_hold) - channels.m_inf(v_test)) \
        * np.exp(-t / channels.tau_m(v_test))
    h_an = channels.h_inf(v_test) + (channels.h_inf(v_hold) - channels.h_inf(v_test)) \
        * np.exp(-t / channels.tau_h(v_test))
    assert np.max(np.abs(v - v_test)) < 1e-9
    # cnexp integrates dx/dt = (x_inf - x)/tau_x exactly at constant v: the only errors
    # are rounding accumulated over 400 steps (~400 eps) and the clamp error (1e-10 mV
    # times dx_inf/dv ~ 0.05/mV). So 1e-11 absolute on gates of size ~0.1-1.
    np.testing.assert_allclose(m, m_an, rtol=0, atol=1e-11)
    np.testing.assert_allclose(hh, h_an, rtol=0, atol=1e-11)
    # The transient is resolved (the test is not trivially at steady state).
    assert abs(m[0] - channels.m_inf(v_test)) > 0.1 and abs(hh[-1] - hh[0]) > 0.1
    # The current recorded at step k was computed by BREAKPOINT from the state and v of
    # step k - 1 (fixed-step order: currents, then v, then gates). Same arithmetic as
    # channels.hh_na_current up to a few ulp.
    i_ref = channels.hh_na_current(v[:-1], m[:-1], hh[:-1], 0.002, 50.0)
    np.testing.assert_allclose(i[1:], i_ref, rtol=1e-12, atol=1e-18)


def test_hh_relaxation_under_cvode(h):
    """The same relaxation under CVODE, to its error tolerance."""
    sec, ring = _ring(h)
    clamp = h.SEClamp(sec(0.5))
    clamp.dur1, clamp.amp1, clamp.rs = 1e9, -45.0, 1e-9
    tv, mv, hv = h.Vector(), h.Vector(), h.Vector()
    tv.record(h._ref_t)
    mv.record(ring._ref_m)
    hv.record(ring._ref_h)
    cv = h.CVode()
    cv.active(1)
    cv.atol(1e-10)
    cv.rtol(1e-8)
    h.finitialize(-45.0)
    ring.m = float(channels.m_inf(-80.0))
    ring.h = float(channels.h_inf(-80.0))
    cv.re_init()
    h.continuerun(20.0)
    t, m, hh = np.array(tv)[1:], np.array(mv)[1:], np.array(hv)[1:]
    m_an = channels.m_inf(-45.0) + (channels.m_inf(-80.0) - channels.m_inf(-45.0)) \
        * np.exp(-t / channels.tau_m(-45.0))
    h_an = channels.h_inf(-45.0) + (channels.h_inf(-80.0) - channels.h_inf(-45.0)) \
        * np.exp(-t / channels.tau_h(-45.0))
    # CVODE's local error control at rtol 1e-8 / atol 1e-10 keeps the global error of
    # this linear relaxation (~20 time constants of m) well below 1e-6.
    np.testing.assert_allclose(m, m_an, rtol=0, atol=1e-6)
    np.testing.assert_allclose(hh, h_an, rtol=0, atol=1e-6)


def test_kinetics_switch_and_outward_sign(h):
    """Sign convention: a depolarised ring below erev carries inward (negative) current."""
    sec, ring = _ring(h, gmax=0.01, erev=50.0)
    for kin in (0, 1):
        ring.kinetics = kin
        h.finitialize(-20.0)
        h.fcurrent()
        assert ring.i < 0.0
        h.finitialize(80.0)
        h.fcurrent()
        assert ring.i > 0.0
    ring.kinetics = 0
    h.finitialize(-20.0)
    h.fcurrent()
    expected = channels.hh_na_current(-20.0, channels.m_inf(-20.0), channels.h_inf(-20.0),
                                      0.01, 50.0)
    assert ring.i == pytest.approx(float(expected), rel=1e-12)   # a few ulp, as above
    assert ring.g == pytest.approx(ring.i / (-20.0 - 50.0), rel=1e-12)


def test_ring_current_charges_the_membrane(h):
    """The ring's current enters NEURON's cable equation with the documented sign:
    an open sodium ring (erev 50 mV) depolarises a passive compartment toward erev."""
    sec, ring = _ring(h, kinetics=1, gmax=0.01, erev=50.0, vhalf=-100.0, slope=1.0)
    sec.insert("pas")
    sec(0.5).pas.g = 1e-4
    sec(0.5).pas.e = -70.0
    h.dt = 0.025
    h.finitialize(-70.0)
    h.continuerun(50.0)
    area_cm2 = sec(0.5).area() * (sc.micro / sc.centi) ** 2   # um2 -> cm2
    g_pas_us = 1e-4 * area_cm2 / sc.micro                      # S/cm2 * cm2 -> uS
    # steady state of a two-conductance divider (activation = 1 to 1e-30 at v > -40)
    v_ss = (g_pas_us * -70.0 + 0.01 * 50.0) / (g_pas_us + 0.01)
    # 50 ms is > 40 time constants of the compartment (tau = cm/(g_pas + ring) < 1 ms):
    # the remaining transient is far below 1e-6 mV; implicit Euler's steady state is exact
    assert sec(0.5).v == pytest.approx(v_ss, abs=1e-6)


def _ring_cell(h, amp):
    """One compartment with the reduced model, an HH ring and a Boltzmann ring, kicked."""
    sec = h.Section(name="ring_cell")
    sec.L = sec.diam = 20.0
    sec.insert("SpnpRHH")
    r0 = h.SpnpRing(sec(0.5))
    r0.gmax = 0.002
    r1 = h.SpnpRing(sec(0.5))
    r1.kinetics, r1.gmax, r1.erev, r1.vhalf = 1, 0.001, -80.0, -20.0
    stim = h.IClamp(sec(0.5))
    stim.delay, stim.dur, stim.amp = 5.0, 1.0, amp
    vecs = [h.Vector().record(ref) for ref in
            (sec(0.5)._ref_v, r0._ref_m, r0._ref_h, r0._ref_i, r1._ref_i)]
    return sec, (r0, r1, stim), vecs


def test_two_threads_give_identical_traces(h):
    pc = h.ParallelContext()
    cells = [_ring_cell(h, amp) for amp in (0.05, 0.3)]   # sub- and supra-threshold
    out = {}
    try:
        for nth in (1, 2):
            pc.nthread(nth)
            h.dt = 0.025
            h.finitialize(-68.75)
            h.continuerun(40.0)
            out[nth] = [np.array(v) for _, _, vecs in cells for v in vecs]
    finally:
        pc.nthread(1)
    assert np.ptp(out[1][0]) > 50 or np.ptp(out[1][5]) > 50      # one cell spiked
    for a, b in zip(out[1], out[2]):
        # THREADSAFE: each thread runs the same arithmetic on its own cells: bitwise
        np.testing.assert_array_equal(a, b)


CORENEURON_SCRIPT = r"""
import json, sys
import numpy as np
from spinepnp.loader import load_mechanisms
load_mechanisms(coreneuron=True)
from neuron import h, coreneuron
h.load_file("stdrun.hoc")
sys.path.insert(0, sys.argv[1])
from test_rings import _ring_cell
pc = h.ParallelContext()
cell = _ring_cell(h, 0.3)
h.cvode.cache_efficient(1)
res = []
for core in (False, True):
    coreneuron.enable = core
    pc.set_maxstep(10)
    h.finitialize(-68.75)
    pc.psolve(40.0)
    res.append([list(v) for v in cell[2]])
print(json.dumps(res))
"""


@pytest.mark.slow
def test_coreneuron_gives_identical_traces(tmp_path):
    """SpnpRing and SpnpRHH under CoreNEURON (needs the -coreneuron build, ~1 min)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(here.parent)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                              if p]))
    proc = subprocess.run([sys.executable, "-c", CORENEURON_SCRIPT, str(here)],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    nrn, core = json.loads(proc.stdout.strip().splitlines()[-1])
    assert max(nrn[0]) > 0.0                                      # it spiked
    for a, b in zip(nrn, core):
        # same double-precision arithmetic in both engines; 1e-9 allows for a different
        # evaluation order after code generation (measured: bitwise equal)
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-9)
