"""SpnpSpine under CVODE.

A bistable head (an NMDA conductance and a Boltzmann ring make the head balance fold)
runs through its fold, and fixed step converges to it.

The dynamic neck (mode 2) costs about as many steps as mode 1. NEURON's CVODE uses only
the diagonal of a mechanism's Jacobian. In mode 2 the neck's salt is carried as the head
concentration ch and the neck's deviation from the straight profile between the dendrite
and the head, in the three-cell chain's sine modes (mechanisms/neck_salt.inc): in these
states the neck's coupling is nearly diagonal. With the cells c1 c2 c3 as states the
coupling was off the diagonal and mode 2 took 6x (README spine) to 130x (neck_vol =
3.8e-4 um3) the steps of mode 1."""

import numpy as np
import pytest
from scipy import constants

from neuron_helpers import passive_dendrite

TSTOP = 50.0        # ms: one AMPA event at 5 ms and its whole decay


def _bistable_run(h, cvode, dt=0.025):
    """The issue's bistable head: mode 1, a Boltzmann ring gbz_head 0.03 uS, NMDA weight
    0.03 uS (AMPA 0.01 uS), CVODE atol 1e-5; two events 20 ms apart. The head balance
    has a fold: vhead jumps by ~28 mV within a microsecond at ~6.1 ms. Returns the jump
    time [ms], vhead after each event's jump (at 10 and 29 ms), the validity code and
    the time reached."""
    dend = passive_dendrite(h)
    sp = h.SpnpSpine(dend(0.5))
    sp.mode, sp.gbz_head, sp.gleak = 1, 0.03, 0.001
    stim = h.NetStim()
    stim.start, stim.number, stim.interval = 5.0, 2, 20.0
    nc = h.NetCon(stim, sp)
    nc.weight[0], nc.weight[1] = 0.01, 0.03
    vh = h.Vector().record(sp._ref_vhead)
    tv = h.Vector().record(h._ref_t)
    probe = h.Vector([10.0, 29.0])
    vprobe = h.Vector().record(sp._ref_vhead, probe)
    h.cvode_active(int(cvode))
    h.cvode.atol(1e-5)
    h.dt = dt
    h.finitialize(-70.0)
    h.continuerun(30.0)
    h.cvode_active(0)
    t, v = np.array(tv), np.array(vh)
    first = t < 8.0
    k = int(np.argmax(np.diff(v[first])))
    out = (0.5 * (t[k] + t[k + 1]), np.array(vprobe), sp.invalid, h.t)
    for vec in (vh, tv, vprobe):
        vec.play_remove()
    nc.active(False)
    return out


def test_bistable_head_runs_under_cvode_and_fixed_step_converges_to_it(h):
    """The fold of a bistable head under CVODE: the run reaches its end, no validity flag
    (the head solver converged at every evaluation: it used to creep through its 200
    iterations at the fold, flag 1), and fixed step converges to the CVODE result."""
    t_jump, v_after, invalid, t_end = _bistable_run(h, cvode=True)
    assert t_end >= 30.0 - 1e-9
    assert invalid == 0
    errs_t, errs_v = [], []
    for dt in (0.025, 0.005, 0.002):
        tj, va, inv, _ = _bistable_run(h, cvode=False, dt=dt)
        assert inv == 0
        errs_t.append(abs(tj - t_jump))
        errs_v.append(np.max(np.abs(va - v_after)))
    print("jump time error [ms]:", errs_t, "vhead error after the jumps [mV]:", errs_v)
    # the jump happens within one step of CVODE's (whose fold time is accurate to its
    # atol): the fixed-step error is at most ~dt and shrinks with it
    for dt, err in zip((0.025, 0.005, 0.002), errs_t):
        assert err <= dt
    # vhead on the upper branch converges (first order: 5x smaller dt, >= 3x smaller
    # error; then 2.5x smaller dt, a smaller error)
    assert errs_v[1] < errs_v[0] / 3
    assert errs_v[2] < errs_v[1]


def _spine_run(h, mode, neck_vol, cvode, dt=0.025, atol=None):
    """One AMPA event (1 nS) into the README's spine on a passive dendrite; returns the
    number of integrator steps (fadvance calls) and vhead at 1 ms intervals."""
    dend = passive_dendrite(h)
    sp = h.SpnpSpine(dend(0.5))
    sp.mode, sp.neck_vol = mode, neck_vol
    stim = h.NetStim()
    stim.start, stim.number = 5.0, 1
    nc = h.NetCon(stim, sp)
    nc.weight[0] = 0.001
    tvec = h.Vector(np.arange(0.0, TSTOP - 0.5, 1.0))       # 0, 1, ..., 49 ms
    vh = h.Vector().record(sp._ref_vhead, tvec)
    h.cvode_active(int(cvode))
    if cvode and atol is not None:
        h.cvode.atol(atol)
        h.cvode.rtol(atol)
    h.dt = dt
    h.finitialize(-70.0)
    steps = 0
    while h.t < TSTOP - 1e-9:
        h.fadvance()
        steps += 1
    h.cvode_active(0)
    out = np.array(vh)
    vh.play_remove()
    nc.active(False)
    return steps, out


@pytest.mark.parametrize("neck_vol", [0.0, 3.8e-4], ids=["readme", "small-neck"])
def test_mode2_cvode_steps_within_3x_mode1(h, neck_vol):
    """The issue's target: mode 2 under CVODE at most 3x mode 1's steps (default tolerances).

    Measured 2026-12-02: 138 vs 135 (README spine), 136 vs 135 (neck_vol 3.8e-4 um3); with
    the cells as states 505 vs 87 and 11549 vs 87. 3x is the issue's bound."""
    n1, _ = _spine_run(h, 1, neck_vol, cvode=True)
    n2, _ = _spine_run(h, 2, neck_vol, cvode=True)
    print(f"neck_vol {neck_vol}: CVODE steps mode 1 {n1}, mode 2 {n2}")
    assert n2 <= 3 * n1, f"mode 2 took {n2} CVODE steps, mode 1 {n1}"


@pytest.mark.parametrize("neck_vol", [0.0, 3.8e-4], ids=["readme", "small-neck"])
def test_fixed_step_converges_to_cvode_first_order(h, neck_vol):
    """Fixed step (the cells' red-black update) converges to the CVODE result (the modal
    states' law) at first order: both integrate the same law."""
    _, ref = _spine_run(h, 2, neck_vol, cvode=True, atol=1e-9)
    dts = (0.04, 0.02, 0.01)
    errs = []
    for dt in dts:
        _, vh = _spine_run(h, 2, neck_vol, cvode=False, dt=dt)
        errs.append(np.max(np.abs(vh - ref)))
    order = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    print("dt", dts, "max |vhead - CVODE| [mV]", errs, "observed order", order)
    assert np.ptp(ref) > 0.5                     # the event moved the head (~1 mV EPSP)
    # first order (NEURON's fixed step is backward Euler, the neck update first order):
    # halving dt halves the error; the band allows for higher-order terms at dt 0.04 ms
    assert np.all(order > 0.85) and np.all(order < 1.3)
    # a wrong law under CVODE would leave a gap that does not shrink with dt; measured
    # 0.04 mV at dt = 0.01 ms against the ~1 mV EPSP
    assert errs[-1] < 0.1


@pytest.mark.parametrize("cvode", [False, True], ids=["fixed", "cvode"])
def test_steady_neck_profile_is_straight(h, cvode):
    """Under a constant head current the neck cells settle on the steady profile, c
    linear in gamma between conc and chead = conc (1 + ineck/isat) (the steady law,
    computed here from the parameters): the states' basis and both integrators keep the
    cells' law, whose steady state this is."""
    from spinepnp.build import clamped_dendrite
    h.celsius = 20.0
    dend, clamp = clamped_dendrite(-65.0)
    sp = h.SpnpSpine(dend(0.5))
    sp.mode = 2
    # isat = 2 C D F / gamma (nA), gamma of the 1 um x 0.1 um cylinder
    gamma = sp.neck_len / (np.pi * sp.neck_diam ** 2 / 4)                     # /um
    faraday = constants.physical_constants["Faraday constant"][0]            # C/mol
    isat = 2 * sp.conc * sp.diff * faraday * 1e-18 * 1e3 * 1e9 / gamma      # nA
    sp.iinj = 0.3 * isat                 # into the head: salt accumulates in the head
    h.cvode_active(int(cvode))
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(300.0)                 # the head relaxes at about kh/4 ~ 0.2 /ms
    h.cvode_active(0)
    chead = sp.conc * (1 + sp.ineck / isat)
    expected = [sp.conc + k / 4 * (chead - sp.conc) for k in (1, 2, 3, 4)]
    got = [sp.c1, sp.c2, sp.c3, sp.ch]
    print("cells", got, "expected", expected)
    # (the floor conductance, 1 pS, takes about 1e-4 of the current)
    assert sp.ineck == pytest.approx(0.3 * isat, rel=1e-3)
    assert chead > 1.2 * sp.conc                             # far from rest
    # 1e-9 relative: the steady state is reached to e^-60 (the states' derivatives
    # vanish there, for CVODE too) and the isat above is the mechanism's (NEURON's
    # Faraday constant is the SI value); measured agreement 1e-15
    assert got == pytest.approx(expected, rel=1e-9)
