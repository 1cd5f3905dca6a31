"""SpnpSpine under CVODE: the dynamic neck (mode 2) costs about as many steps as mode 1.

In mode 2 the neck's salt is integrated in its diffusion modes (mechanisms/neck_modes.inc),
whose Jacobian is diagonal, the only part of a mechanism's Jacobian CVODE sees in
NEURON. In the cells (the former formulation) the coupling was off the diagonal and mode
2 took 6x (README spine) to 130x (neck_vol = 3.8e-4 um3) the steps of mode 1."""

import numpy as np
import pytest

from neuron_helpers import passive_dendrite

TSTOP = 50.0        # ms: one AMPA event at 5 ms and its whole decay


def _spine_run(h, mode, neck_vol, cvode, dt=0.025, atol=None):
    """One AMPA event (1 nS) into the README's spine on a passive dendrite; returns the
    number of integrator steps (fadvance calls) and vhead, v at 1 ms intervals."""
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

    Measured 2026-12-01: 92 vs 88 (README spine), 101 vs 88 (neck_vol 3.8e-4 um3); before
    the modal formulation 505 vs 87 and 11549 vs 87. 3x is the issue's bound."""
    n1, _ = _spine_run(h, 1, neck_vol, cvode=True)
    n2, _ = _spine_run(h, 2, neck_vol, cvode=True)
    assert n2 <= 3 * n1, f"mode 2 took {n2} CVODE steps, mode 1 {n1}"


def test_small_neck_fixed_step_converges_to_cvode(h):
    """The small neck (neck_vol 3.8e-4 um3, fast neck modes): fixed step converges to the
    CVODE result at first order, so the modal CVODE path integrates the same law."""
    _, ref = _spine_run(h, 2, 3.8e-4, cvode=True, atol=1e-9)
    errs = []
    for dt in (0.02, 0.01):
        _, vh = _spine_run(h, 2, 3.8e-4, cvode=False, dt=dt)
        errs.append(np.max(np.abs(vh - ref)))
    print("max |vhead - CVODE| [mV] at dt 0.02, 0.01:", errs)
    # first order: halving dt halves the error (ratio 2); 1.6 leaves room for the
    # higher-order terms at these dt
    assert errs[0] / errs[1] > 1.6
    # and the fixed-step error itself is small against the EPSP (~ 1 mV; 0.04 mV measured at dt 0.01): a wrong law
    # under CVODE would leave an O(1 mV) gap that does not shrink with dt
    assert errs[1] < 0.1
