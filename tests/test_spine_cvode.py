"""SpnpSpine under CVODE: a bistable head (an NMDA conductance and a Boltzmann ring make
the head balance fold) runs through its fold, and fixed step converges to it."""

import numpy as np

from neuron_helpers import passive_dendrite

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
