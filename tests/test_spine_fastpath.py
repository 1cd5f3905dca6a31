"""SpnpSpine's per-step machinery: the fast path of the head solve, the reuse of the
refresh solution by the next BREAKPOINT, ``refresh = 0``, and unused states under CVODE.

These are the parts written for speed (issue 4's cost targets); each test checks that the
shortcut gives what the plain computation would.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from spinepnp import laws
from spinepnp.constants import thermal_voltage
from spinepnp.geometry import Cylinder
from spinepnp.spine import configure_spine
from spinepnp.synapses import poisson_netstim

from neuron_helpers import passive_dendrite

from spinepnp.build import clamped_dendrite

NECK = Cylinder(length=1.0, radius=0.05)          # R0 = 75 MOhm, I_s = 337 pA at 20 degC


def poisson_spines(h, dend, n, rate=40.0, weight=0.002, seed=3, mode=1, nmda=0.0,
                   **params):
    """n spines in the given mode along dend, each driven by its own Poisson NetStim
    [Hz]; AMPA weight ``weight``, NMDA weight ``nmda`` [uS]."""
    keep = []
    for k in range(n):
        s = configure_spine(h.SpnpSpine(dend((k + 0.5) / n)), neck=NECK, mode=mode,
                            gleak=1e-6, eleak=-70.0, **params)
        ns, rng = poisson_netstim(h, rate, k, seed)
        nc = h.NetCon(ns, s)
        nc.weight[0], nc.weight[1], nc.delay = weight, nmda, 1.0
        keep.append((s, ns, rng, nc))
    return keep


def head_balance_root(s, v, bracket=(-300.0, None)):
    """vhead - v solving the mode-1 head balance from the spine's own parameters and its
    present AMPA and NMDA conductances (Jahr & Stevens Mg block), independently of the
    mechanism (scipy's brentq in ``bracket`` [mV]; default up to 3 VT)."""
    vt = thermal_voltage(20.0)                     # the tests below run at 20 degC
    assert s.vt == pytest.approx(vt, rel=1e-12)
    gh = s.gleak + s.gfloor + s.gampa
    i0 = s.iinj + (s.gleak + s.gfloor) * s.eleak + s.gampa * s.e_ampa

    def f(x):
        vh = v + x
        block = 1.0 / (1.0 + s.mg / 3.57 * math.exp(-0.062 * vh))
        return (s.isat * math.expm1(x / vt)
                - (i0 - gh * vh - s.gnmda * block * (vh - s.e_nmda)))
    hi = bracket[1] if bracket[1] is not None else 3.0 * vt
    return brentq(f, bracket[0], hi, xtol=1e-14, rtol=1e-15)


def test_fast_path_holds_the_law_through_a_long_run(h):
    """After 2 s of Poisson input (every spine has taken ~80 events and thousands of
    fast-path steps, with its exp() anchor moved by Taylor steps in between) vhead still
    solves the head balance to the solver tolerance: no drift of the anchor."""
    h.celsius = 20.0
    dend = passive_dendrite(h)
    keep = poisson_spines(h, dend, 12)
    h.dt = 0.025
    h.finitialize(-70.0)
    h.continuerun(2000.0)
    # the refresh solved each head with the node's present v: check it independently
    worst = 0.0
    for s, *_ in keep:
        v = s.get_segment().v
        x = head_balance_root(s, v)
        worst = max(worst, abs((s.vhead - v) - x))
        assert s.gampa > 0                           # the synapse is active, not at rest
    # 1e-10 mV solver tolerance; 1e-9 leaves room for rounding in v + x (|v| ~ 70 mV)
    assert worst < 1e-9


def test_fast_path_equals_full_solver(h):
    """The same spines with a vanishing Boltzmann ring (1e-30 uS: a nonlinear head, so
    every solve takes the full walking/bracketed Newton solver) give the same traces."""
    h.celsius = 20.0
    dend = passive_dendrite(h)
    fast = poisson_spines(h, dend, 6)
    full = poisson_spines(h, dend, 6, gbz_head=1e-30)
    recs = []
    for (a, *_), (b, *_) in zip(fast, full):
        recs.append((h.Vector().record(a._ref_vhead), h.Vector().record(b._ref_vhead),
                     h.Vector().record(a._ref_ineck), h.Vector().record(b._ref_ineck)))
    h.dt = 0.025
    h.finitialize(-70.0)
    h.continuerun(300.0)
    s0 = fast[0][0]
    for va, vb, ia, ib in recs:
        assert np.ptp(va.as_numpy()) > 1.0               # real EPSPs went through
        # Both solve to 1e-10 mV (the ring's current is below 1e-28 nA): the heads agree
        # to twice that (plus rounding of v + x), the neck currents to twice that times
        # the largest neck slope, isat exp(x/VT)/VT = (isat + ineck)/VT.
        assert np.max(np.abs(va.as_numpy() - vb.as_numpy())) < 3e-10
        slope = (s0.isat + ia.max()) / s0.vt
        assert np.max(np.abs(ia.as_numpy() - ib.as_numpy())) < 2e-10 * slope
    # and the fast path really ran: fewer head evaluations than the full solver's
    assert sum(s.niter for s, *_ in fast) < sum(s.niter for s, *_ in full)


@pytest.mark.parametrize("mode", [1, 2, 0])
def test_nmda_path_equals_full_solver(h, mode):
    """Spines with AMPA and NMDA input (the head solver from the last solution, its final
    Newton step accepted by the error bound from the NMDA curvature bound) against the
    same spines with a vanishing Boltzmann ring (the configuration that reads every ring
    parameter at every evaluation)."""
    h.celsius = 20.0
    dend = passive_dendrite(h)
    fast = poisson_spines(h, dend, 4, mode=mode, weight=0.001, nmda=0.002)
    full = poisson_spines(h, dend, 4, mode=mode, weight=0.001, nmda=0.002, gbz_head=1e-30)
    recs = [(h.Vector().record(s._ref_vhead), h.Vector().record(s._ref_ineck),
             h.Vector().record(s._ref_gnmda)) for s, *_ in fast + full]
    h.dt = 0.025
    h.finitialize(-70.0)
    h.continuerun(200.0)
    n = len(fast)
    s0 = fast[0][0]
    for k in range(n):
        va, ia, ga = (r.as_numpy() for r in recs[k])
        vb, ib, gb = (r.as_numpy() for r in recs[k + n])
        assert ga.max() > 1e-3 and np.ptp(va) > 1.0     # NMDA open, EPSPs went through
        # both solve to 1e-10 mV (the ring's current is below 1e-28 nA): the heads agree
        # to twice that plus rounding of v + x; in mode 2 also the rounding of the neck
        # states carried through 8000 steps (as in the mode 2 fast-path test). Observed
        # 1.0e-10, 1.9e-10, 1.6e-10 mV in modes 1, 2, 0
        assert np.max(np.abs(va - vb)) < (3e-10 if mode != 2 else 1e-9)
        slope = (s0.isat + ia.max()) / s0.vt if mode == 1 else 1.0 / s0.r0
        assert np.max(np.abs(ia - ib)) < (3e-10 if mode != 2 else 1e-9) * slope
    # the error-bound acceptance ran: fewer than 2 evaluations per solve (without it every
    # solve costs at least 2: a step and the evaluation at its result). Solves: one per
    # step (the refresh), two in mode 2 (also the head at the new v for the salt flux),
    # plus the current evaluations after the ~8 events per spine; observed 1.7, 1.3 and
    # 1.2 evaluations per solve in modes 1, 2 and 0
    solves = (200.0 / 0.025) * (2 if mode == 2 else 1) + 20
    assert sum(s.niter for s, *_ in fast) < 2 * n * solves


def test_nmda_path_holds_the_balance_through_a_long_run(h):
    """After 2 s of Poisson AMPA and NMDA input (NMDA open throughout: tau2 = 50 ms),
    vhead solves the head balance with the Mg-blocked NMDA current, checked by brentq,
    to the solver tolerance."""
    h.celsius = 20.0
    dend = passive_dendrite(h)
    keep = poisson_spines(h, dend, 8, weight=0.001, nmda=0.002)
    h.dt = 0.025
    h.finitialize(-70.0)
    h.continuerun(2000.0)
    worst = 0.0
    for s, *_ in keep:
        assert s.gnmda > 1e-4                    # the NMDA conductance is on
        v = s.get_segment().v
        x = s.vhead - v
        # a bracket of +-1 mV around the mechanism's root: the root inside it is unique
        # (F' > 0 there: checked through a sign change at both ends)
        root = head_balance_root(s, v, bracket=(x - 1.0, x + 1.0))
        worst = max(worst, abs(x - root))
    # 1e-10 mV solver tolerance; 1e-9 leaves room for rounding in v + x (|v| ~ 70 mV)
    assert worst < 1e-9


def test_refresh_off_gives_the_same_steady_state(h):
    """refresh = 0 (head solved in BREAKPOINT only) reaches the law's steady state too, and
    its outputs are updated (they lag v by one step, nothing more)."""
    h.celsius = 20.0
    dend, clamp = clamped_dendrite(-65.0)
    i_s = laws.saturation_current(NECK, celsius=20.0)
    spines = []
    for refresh in (1, 0):
        # gfloor at its minimum: the law assumes all of iinj leaves through the neck
        s = configure_spine(h.SpnpSpine(dend(0.5)), neck=NECK, mode=1, refresh=refresh,
                            gfloor=1e-15)
        spines.append(s)
    vh = h.Vector().record(spines[1]._ref_vhead)
    h.dt = 0.025
    h.finitialize(-65.0)
    for s in spines:
        s.iinj = 0.3 * i_s
    h.continuerun(5.0)
    v = dend(0.5).v
    want = float(laws.delta_v(0.3 * i_s, NECK, celsius=20.0))
    for s in spines:
        assert s.vhead - v == pytest.approx(want, rel=1e-6)      # test_spine_steady's bar
    assert spines[0].vhead == pytest.approx(spines[1].vhead, abs=1e-9)
    assert np.ptp(vh.as_numpy()) > 1.0                 # it moved when iinj was switched on


def test_event_and_iinj_change_reach_the_current_in_the_same_step(h):
    """The BREAKPOINT reuses the refresh only if nothing changed: an event delivered, or
    iinj changed between steps, must show in the very next step's current, exactly as
    with refresh = 0 (which always solves in BREAKPOINT)."""
    h.celsius = 20.0
    dend, clamp = clamped_dendrite(-65.0)
    a = configure_spine(h.SpnpSpine(dend(0.5)), neck=NECK, mode=1, refresh=1)
    b = configure_spine(h.SpnpSpine(dend(0.5)), neck=NECK, mode=1, refresh=0)
    stim = h.NetStim()
    stim.number, stim.start = 1, 1.0
    ncs = [h.NetCon(stim, s) for s in (a, b)]
    for nc in ncs:
        nc.weight[0], nc.delay = 0.001, 0.0
    ia, ib = h.Vector().record(a._ref_i), h.Vector().record(b._ref_i)
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(2.0)
    for s in (a, b):
        s.iinj = 0.05                                   # changed between two steps
    h.continuerun(3.0)
    ia, ib = ia.as_numpy(), ib.as_numpy()
    # the current NEURON used in each step (recorded i): the same whether the solution
    # was reused or recomputed, to the solver tolerance times the neck slope (< 0.02 uS)
    assert np.max(np.abs(ia - ib)) < 1e-11
    k_event = int(round(1.0 / 0.025))
    assert abs(ia[k_event + 2] - ia[k_event - 2]) > 1e-4   # the event did change i


def test_unused_ring_states_do_not_drift_under_cvode(h):
    """Under CVODE an unused ring's states must stay exactly at their initial values,
    even in a run that follows one where the ring was active (stale derivatives would
    make them drift), and the dynamic-neck states stay put in mode 1."""
    h.celsius = 20.0
    dend = passive_dendrite(h, L=20.0, nseg=1)
    s = configure_spine(h.SpnpSpine(dend(0.5)), neck=NECK, mode=1, gna_head=0.02,
                        gleak=1e-5, eleak=-70.0)
    stim = h.NetStim()
    stim.number, stim.start, stim.interval = 3, 2.0, 5.0
    nc = h.NetCon(stim, s)
    nc.weight[0] = 0.003
    h.cvode_active(1)
    try:
        h.finitialize(-70.0)
        m_rest = s.m
        h.continuerun(20.0)              # ring active: m and h move
        assert abs(s.m - m_rest) > 1e-6
        s.gna_head = 0.0
        h.finitialize(-70.0)
        m0, h0, c0 = s.m, s.h, (s.c1, s.c2, s.c3, s.ch)
        h.continuerun(30.0)              # synaptic events, no ring
        assert s.m == m0 and s.h == h0   # exactly: zero derivatives, not small ones
        assert (s.c1, s.c2, s.c3, s.ch) == c0
        assert s.gampa > 0
    finally:
        h.cvode_active(0)


def test_fixed_step_synaptic_decay_is_exact_and_follows_dt_changes(h):
    """Under fixed step the AMPA and NMDA states decay by cached factors exp(-dt/tau)
    (no exp() per step); the conductance must still be the exact double exponential,
    also after dt is changed in mid-run (the factors are recomputed)."""
    h.celsius = 20.0
    dend = passive_dendrite(h, L=20.0, nseg=1)
    s = configure_spine(h.SpnpSpine(dend(0.5)), neck=NECK, mode=1)
    stim = h.NetStim()
    stim.number, stim.start = 1, 1.0
    nc = h.NetCon(stim, s)
    nc.weight[0], nc.weight[1], nc.delay = 0.001, 0.0005, 0.0
    h.dt = 0.025
    h.finitialize(-70.0)

    def analytic(t, w, tau1, tau2):
        tp = tau1 * tau2 / (tau2 - tau1) * math.log(tau2 / tau1)
        factor = 1.0 / (math.exp(-tp / tau2) - math.exp(-tp / tau1))
        return w * factor * (math.exp(-(t - 1.0) / tau2) - math.exp(-(t - 1.0) / tau1))

    def check():
        t = h.t
        # rounding only: ~400 multiplications by a factor, each exact to an ulp
        assert s.B - s.A == pytest.approx(analytic(t, 0.001, s.tau1, s.tau2), rel=1e-12)
        assert s.Bn - s.An == pytest.approx(
            analytic(t, 0.0005, s.nmda_tau1, s.nmda_tau2), rel=1e-12)

    h.continuerun(6.0)
    check()
    h.dt = 0.01                          # a new step: new factors from the next step on
    h.continuerun(9.0)
    check()


def test_decayed_synaptic_states_reach_exact_zero(h):
    """A synaptic state decaying by its cached factor would end as a subnormal number
    that never reaches 0 (the decrement rounds to 0): Exp2Syn's A does, and every
    operation on it is a microcode assist. Below 1e-290 uS the spine sets the state to
    exactly 0, so none of its AMPA or NMDA states is ever subnormal, and after an NMDA
    event the NMDA states come to rest (gnmda = 0: the fast path again)."""
    h.celsius = 20.0
    dend = passive_dendrite(h, L=20.0, nseg=1)
    s = configure_spine(h.SpnpSpine(dend(0.5)), neck=NECK, mode=1, tau1=0.2, tau2=1.0,
                        nmda_tau1=0.5, nmda_tau2=1.0)
    ref = h.Exp2Syn(dend(0.5))
    ref.tau1, ref.tau2 = 0.2, 1.0
    stim = h.NetStim()
    stim.number, stim.start = 1, 1.0
    ncs = [h.NetCon(stim, s), h.NetCon(stim, ref)]
    ncs[0].weight[0], ncs[0].weight[1] = 0.001, 0.001
    ncs[1].weight[0] = 1e-12
    names = ("A", "B", "An", "Bn")
    recs = [h.Vector().record(getattr(s, f"_ref_{n}")) for n in names]
    ref_a = h.Vector().record(ref._ref_A)
    h.dt = 0.025
    h.finitialize(-70.0)
    # from ~1e-3 uS to below 1e-290 uS takes ln(1e287) tau = 661 ms for tau = 1 ms
    h.continuerun(800.0)
    tiny = np.finfo(float).tiny                      # the smallest normal double
    subnormal = [np.count_nonzero((r.as_numpy() != 0) & (np.abs(r.as_numpy()) < tiny))
                 for r in recs]
    assert subnormal == [0, 0, 0, 0]
    assert (s.A, s.B, s.An, s.Bn, s.gnmda) == (0.0, 0.0, 0.0, 0.0, 0.0)
    # the problem is real: NEURON's own Exp2Syn, same decay, ends subnormal, never 0
    a = ref_a.as_numpy()
    assert 0 < abs(a[-1]) < tiny


def test_fast_configuration_fixes_the_rings_at_finitialize(h):
    """A mode-1 spine without rings at finitialize runs without them (its per-step code
    reads no ring parameter): a ring switched on mid-run is ignored until the next
    finitialize. A ring reserved at finitialize with a tiny conductance can be switched
    on and off during the run, as documented."""
    h.celsius = 20.0
    dend, clamp = clamped_dendrite(-65.0)
    bare = configure_spine(h.SpnpSpine(dend(0.5)), neck=NECK, mode=1, gleak=1e-5)
    kept = configure_spine(h.SpnpSpine(dend(0.5)), neck=NECK, mode=1, gleak=1e-5,
                           gbz_head=1e-30)
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(1.0)
    rest = bare.vhead
    for s in (bare, kept):
        s.gbz_head, s.vhalf_bz, s.ebz = 0.002, -70.0, 50.0   # half open at rest: inward
    h.continuerun(3.0)
    # ignored: the head stays at rest (to the clamp's and the solver's ~1e-10 mV)
    assert bare.vhead == pytest.approx(rest, abs=1e-8)
    assert kept.vhead - rest > 1.0                    # in use: the head depolarises
    h.finitialize(-65.0)                              # now present at finitialize in both
    h.continuerun(3.0)
    # the same ring through the two configurations: equal to the solver tolerance
    assert bare.vhead == pytest.approx(kept.vhead, abs=1e-9)
    assert bare.vhead - rest > 1.0


@pytest.mark.parametrize("ratio", [1.0, 1 + 1e-12, 1 - 1e-9, 1 + 1e-5, 1.03, 1.0408,
                                   1.0409, 0.96, 2.0, 1e3, 1e-4])
def test_inverse_log_mean(h, ratio):
    """ilm(a, b) = ln(b/a)/(b - a), the mode 2 neck's 1/logmean, against log1p (accurate
    near a = b): the series branch (|z| < 0.02, z = (b - a)/(b + a), b/a up to 1.0408)
    and the log branch on both sides of the switch."""
    dend, clamp = clamped_dendrite(-65.0)
    s = h.SpnpSpine(dend(0.5))
    a = 150.0
    b = a * ratio
    got = s.ilm(a, b)
    want = 1.0 / a if b == a else math.log1p((b - a) / a) / (b - a)
    # log1p and the division: a few ulp. The series' truncation is below 1e-18; the log
    # branch's b/a and b - a add a few ulp more
    assert got == pytest.approx(want, rel=1e-14)


def test_mode2_fast_path_equals_general_path(h):
    """Mode 2 in its fast configuration (a linear head solved in closed form, the neck
    current at the new v by the exact linear update, cached neck rates) against the same
    spines with a vanishing Boltzmann ring (the general path: Newton solves and the full
    state block) under Poisson input."""
    h.celsius = 20.0
    dend = passive_dendrite(h)
    fast = poisson_spines(h, dend, 4, mode=2)
    full = poisson_spines(h, dend, 4, mode=2, gbz_head=1e-30)
    names = ("vhead", "ineck", "chead")
    recs = [[h.Vector().record(getattr(s, f"_ref_{n}")) for n in names]
            for s, *_ in fast + full]
    h.dt = 0.025
    h.finitialize(-70.0)
    h.continuerun(200.0)
    n = len(fast)
    for k in range(n):
        va, ia, ca = (r.as_numpy() for r in recs[k])
        vb, ib, cb = (r.as_numpy() for r in recs[k + n])
        assert np.ptp(va) > 1.0 and np.ptp(ca) > 1e-3    # EPSPs moved the head's salt
        # both exact up to rounding (the ring's current is below 1e-28 nA); rounding
        # differences of ~1e-16 relative carried through 8000 steps of the neck states
        assert np.max(np.abs(va - vb)) < 1e-9
        assert np.max(np.abs(ia - ib)) < 1e-11
        assert np.max(np.abs(ca - cb)) < 1e-9 * cb.max()
