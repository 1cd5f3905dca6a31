"""Eq 18 of the biophysics summary reproduced by NEURON's Exp2Syn with a converted weight."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from spinepnp import synapses




TAUS = [(1.0, 5.0), (0.2, 3.0), (5.0, 50.0)]   # ms: fast synapses and a slow one (eq 18)


@pytest.mark.parametrize("tf,ts", TAUS)
def test_kernel_has_unit_area_and_exp2syn_peak(tf, ts):
    tp = synapses.double_exp_peak_time(tf, ts)
    a1, e1 = quad(synapses.double_exp_kernel, 0.0, tp, args=(tf, ts))
    a2, e2 = quad(synapses.double_exp_kernel, tp, np.inf, args=(tf, ts))
    # the integral is exactly 1; quad's error estimates are ~1e-10 or smaller
    assert a1 + a2 == pytest.approx(1.0, abs=max(10 * (e1 + e2), 1e-9))
    peak = synapses.double_exp_kernel(tp, tf, ts)
    # the Exp2Syn weight for eq 18 weight w is w times the kernel's peak (a few ulp)
    assert synapses.exp2syn_weight(1.0, tf, ts) == pytest.approx(peak, rel=1e-13)
    # tp is the maximum: neighbouring times are lower
    assert synapses.double_exp_kernel(tp * (1 + 1e-4), tf, ts) < peak
    assert synapses.double_exp_kernel(tp * (1 - 1e-4), tf, ts) < peak
    assert synapses.double_exp_kernel(0.0, tf, ts) == 0.0
    assert synapses.double_exp_kernel(-1.0, tf, ts) == 0.0


@settings(max_examples=200, deadline=None)
@given(w=st.floats(1e-9, 1e3), tf=st.floats(0.01, 50.0), ratio=st.floats(1.01, 1e3))
def test_round_trip(w, tf, ratio):
    ts = tf * ratio
    back = synapses.eq18_weight(synapses.exp2syn_weight(w, tf, ts), tf, ts)
    assert back == pytest.approx(w, rel=1e-13)   # one multiply and one divide


def test_rejects_bad_time_constants():
    for tf, ts in ((5.0, 1.0), (2.0, 2.0), (0.0, 1.0), (1.0, 1.00001)):
        with pytest.raises(ValueError):
            synapses.exp2syn_weight(1.0, tf, ts)


def _exp2syn_run(h, tf, ts, weight, t0, t_stop, cvode):
    sec = h.Section(name="syn_host")
    sec.insert("pas")
    syn = h.Exp2Syn(sec(0.5))
    syn.tau1, syn.tau2 = tf, ts
    nc = h.NetCon(None, syn)
    nc.weight[0] = weight
    nc.delay = 0.0
    tv, gv = h.Vector(), h.Vector()
    tv.record(h._ref_t)
    gv.record(syn._ref_g)
    fih = h.FInitializeHandler(lambda: nc.event(t0))   # noqa: F841 (kept alive)
    cv = h.CVode()
    cv.active(int(cvode))
    if cvode:
        cv.atol(1e-12)
        cv.rtol(1e-9)
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(t_stop)
    return np.array(tv), np.array(gv)


@pytest.mark.parametrize("tf,ts", TAUS)
def test_exp2syn_with_converted_weight_reproduces_eq18_fixed_step(h, tf, ts):
    w18, t0, dt = 2e-3, 1.0, 0.025          # uS ms, ms, ms
    t_stop = t0 + 25 * ts
    t, g = _exp2syn_run(h, tf, ts, synapses.exp2syn_weight(w18, tf, ts), t0, t_stop,
                        cvode=False)
    g_eq18 = w18 * synapses.double_exp_kernel(t - t0, tf, ts)
    # Fixed step: the g recorded at step k was computed (BREAKPOINT) from the states of
    # step k - 1; Exp2Syn's cnexp update of its two exponentials is exact, so the only
    # error is rounding accumulated over the steps (~steps * eps relative to the peak).
    np.testing.assert_allclose(g[1:], g_eq18[:-1], rtol=0,
                               atol=1e-12 * g_eq18.max())
    # Integral = w18 (eq 18's normalisation). Trapezoid rule on the dt grid, aligned with
    # the event: its leading error (Euler-Maclaurin) is dt^2/12 (f'(0+) - f'(T)) with
    # f'(0+) = w18 (1/tf - 1/ts)/(ts - tf); the tail after 25 ts is < exp(-25).
    area = np.trapezoid(g[1:], t[:-1])
    em = dt ** 2 / 12 * w18 * (1 / tf - 1 / ts) / (ts - tf)
    assert abs(area - w18) <= 1.05 * em + w18 * np.exp(-25.0)
    # and the mismatch is the predicted one (sign and size), not a weight error:
    assert area - w18 == pytest.approx(-em, rel=0.05)


def test_exp2syn_with_converted_weight_reproduces_eq18_cvode(h):
    tf, ts, w18, t0 = 1.0, 5.0, 2e-3, 1.234
    t, g = _exp2syn_run(h, tf, ts, synapses.exp2syn_weight(w18, tf, ts), t0, 60.0,
                        cvode=True)
    g_eq18 = w18 * synapses.double_exp_kernel(t - t0, tf, ts)
    # CVODE delivers the event at exactly t0 and integrates the exponentials to its
    # tolerance (atol 1e-12 uS on a ~3e-4 uS peak, rtol 1e-9): 1e-6 of the peak is ample
    np.testing.assert_allclose(g, g_eq18, rtol=0, atol=1e-6 * g_eq18.max())


def test_plain_exp2syn_weight_is_peak_not_area(h):
    """The difference being converted: Exp2Syn's weight sets the PEAK conductance."""
    tf, ts = 1.0, 5.0
    t, g = _exp2syn_run(h, tf, ts, 1e-3, 1.0, 1.0 + 25 * ts, cvode=False)
    # peak sampled on the 25 us grid: below the true peak by < (dt^2/2) |g''| ~ 1e-4
    assert g.max() == pytest.approx(1e-3, rel=1e-4)
    area = np.trapezoid(g[1:], t[:-1])
    assert area == pytest.approx(float(synapses.eq18_weight(1e-3, tf, ts)), rel=1e-4)


def test_poisson_netstim_rejects_a_non_positive_rate():
    from spinepnp.synapses import poisson_netstim
    for rate in (0.0, -5.0, float("nan")):
        with pytest.raises(ValueError, match="positive rate"):
            poisson_netstim(None, rate, 0)      # refused before NEURON is touched
