"""Mode 2 (dynamic electroneutral neck) against the full PNP transient of a whole spine.

A ball-and-neck spine (neck 1 um x 0.1 um, head 0.5 um) in a binary salt (carrier Na+
167 mM, D 1.33 um2/ms; anion 167 mM, D 2.03 um2/ms), current injected at the head cap,
head potential compared at the head centre (docs/physics.rst, "Cautions": the head is not
isopotential near the narrow injection cap). SpnpSpine mode 2 gets the same gamma (neck
plus the head up to its centre), neck volume and head volume.
"""

import math

import numpy as np
import pytest

from spinepnp.build import clamped_dendrite
from spinepnp.geometry import ball_and_neck
from spinepnp.spine import configure_spine

NECK_LEN, NECK_R, HEAD_R = 1.0, 0.05, 0.25
T_ON, T_STOP = 1.0, 30.0


def _pnp(waveform, rings=()):
    from spinepnp.pnp import Species, solve_transient
    bn = ball_and_neck(neck_length=NECK_LEN, neck_radius=NECK_R, head_radius=HEAD_R,
                       cap_radius=0.01)
    xc = NECK_LEN + math.sqrt(HEAD_R ** 2 - NECK_R ** 2)         # head centre [um]
    species = [Species("na", 1, 1.33, 167.0), Species("a", -1, 2.03, 167.0)]
    t_eval = T_ON + np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0,
                              T_STOP - T_ON - 1e-3])
    tr = solve_transient(bn, waveform, T_STOP, species=species, carrier="na",
                         t_eval=np.concatenate([[0.0], t_eval]), rtol=1e-5, rings=rings)
    k = int(np.argmin(np.abs(tr.x - xc)))
    if rings:
        return bn, xc, tr.t[1:], tr.v[1:, k], tr.ring_vm[1:, 0]
    return bn, xc, tr.t[1:], tr.v[1:, k]


def _mode2(h, bn, xc, current_of_t, t_samples, ring=None, **params):
    """Head potential (and, with ``ring``, the ring node's) above -70 mV at t_samples."""
    h.celsius = 20.0
    dend, clamp = clamped_dendrite(-70.0)
    neck_vol = math.pi * NECK_R ** 2 * NECK_LEN
    head_vol = bn.volume - neck_vol
    sp = configure_spine(h.SpnpSpine(dend(0.5)), mode=2, gamma=float(bn.gamma_at(xc)),
                         neck_len=NECK_LEN, neck_vol=neck_vol,
                         head_diam=(6.0 * head_vol / math.pi) ** (1.0 / 3.0),
                         conc=167.0, diff=1.33, diff_anion=2.03, **params)
    if ring is not None:
        sp.ring_gamma = float(bn.gamma_at(ring))
    dt = 0.0005
    tt = np.arange(0.0, T_STOP + dt, dt)
    tvec, ivec = h.Vector(tt), h.Vector(current_of_t(tt))
    ivec.play(sp._ref_iinj, tvec, 1)
    vh = h.Vector().record(sp._ref_vhead)
    vr = h.Vector().record(sp._ref_vring)
    tr = h.Vector().record(h._ref_t)
    h.dt = dt
    h.finitialize(-70.0)
    h.continuerun(T_STOP)
    t = np.array(tr)
    out = np.interp(t_samples, t, np.array(vh) + 70.0)
    out_r = np.interp(t_samples, t, np.array(vr) + 70.0)
    for vec in (tvec, ivec, vh, vr, tr):
        vec.play_remove()
    del clamp, dend, sp
    return (out, out_r) if ring is not None else out


@pytest.mark.parametrize("kind", ["step", "alpha"])
def test_mode2_matches_full_pnp_transient(h, kind):
    from spinepnp.pnp import alpha, step
    if kind == "step":
        wave = step(0.05, T_ON)                                    # 50 pA step

        def cur(t):
            return np.where(t >= T_ON, 0.05, 0.0)
    else:
        wave = alpha(0.05, 1.0, T_ON)                              # 50 pA peak at 1 ms

        def cur(t):
            s = np.maximum(t - T_ON, 0.0)
            return 0.05 * math.e * s * np.exp(-s / 1.0)
    bn, xc, t, v_pnp = _pnp(wave)
    v_m2 = _mode2(h, bn, xc, cur, t)
    # relative to the head potential, but not below a tenth of the peak: in the alpha
    # response's tail (after 10 ms) the head potential falls to 0.1 % of its peak and a
    # relative measure of a few uV means nothing
    scale = np.maximum(np.abs(v_pnp), 0.1 * np.abs(v_pnp).max())
    rel = np.abs(v_m2 - v_pnp) / scale
    print(kind, "t-t_on [ms]", np.round(t - T_ON, 3), "PNP", np.round(v_pnp, 4),
          "mode 2", np.round(v_m2, 4), "max rel", rel.max())
    # contract: within 2 % from 10 us after the onset (before that the Debye layers and
    # the head's own charging, absent from the electroneutral model, dominate). Observed
    # 5e-4 (step) and 3e-3 (alpha): the margin covers mesh and tolerance changes in the
    # PNP solver.
    assert np.all(rel < 0.02)


STEP = 0.05                                                          # 50 pA step [nA]


@pytest.mark.parametrize("kind,x,gmax", [("boltzmann", 0.2, 0.005), ("boltzmann", 0.8, 0.005),
                                         ("hh", 0.5, 2.0), ("hh", 0.5, 10.0)], ids=str)
def test_mode2_neck_ring_matches_full_pnp_transient(h, kind, x, gmax):
    """A ring of channels part-way along the neck, x um from the dendrite: the dynamic
    neck (its middle node on the ring) against the full PNP transient with the same ring
    (a 20 nm band, its channels at the band's mean membrane potential) for a 50 pA
    step into the head."""
    from spinepnp.pnp import step
    from spinepnp.pnp.rings import BoltzmannRing, HHNaRing
    if kind == "boltzmann":
        ring = BoltzmannRing(x, gmax, erev=50.0, vhalf=-60.0, slope=5.0)
        params = dict(gbz_neck=gmax, ebz=50.0, vhalf_bz=-60.0, slope_bz=5.0)
    else:
        ring = HHNaRing(x, gmax)
        params = dict(gna_neck=gmax)

    def cur(t):
        return np.where(t >= T_ON, STEP, 0.0)

    bn, xc, t, v_pnp, vr_pnp = _pnp(step(STEP, T_ON), rings=[ring])
    v_m2, vr_m2 = _mode2(h, bn, xc, cur, t, ring=x, **params)
    v_none = _mode2(h, bn, xc, cur, t)                   # the same spine without the ring
    scale = np.maximum(np.abs(v_pnp), 0.1 * np.abs(v_pnp).max())
    rel = np.abs(v_m2 - v_pnp) / scale
    rel_r = np.abs(vr_m2 - (vr_pnp + 70.0)) / np.maximum(np.abs(vr_pnp + 70.0),
                                                         0.1 * np.abs(vr_pnp + 70.0).max())
    print(kind, x, "PNP", np.round(v_pnp, 4), "mode 2", np.round(v_m2, 4),
          "no ring", np.round(v_none, 4), "max rel", rel.max(), "ring node", rel_r.max())
    # the ring shapes the response (from 5 % to a Na spike in the neck, 10 uS, which
    # takes the head from +6 to +105 mV): the test is about the ring
    assert np.max(np.abs(v_m2 - v_none) / np.abs(v_m2)) > 0.03
    # the contract of the dynamic neck, 2 % from 10 us after the onset. Observed: at most
    # 1.3e-3 without a spike, 1.5e-2 for the spike (sampled near its peak: the spike's
    # timing, set by the neck's salt dynamics, shows there)
    assert np.all(rel < 0.02)
    # the ring node: one grid node of mode 2 (two cells on each side) against the mean
    # over the PNP ring's 20 nm band; observed at most 1.7e-2 (the spike) and 1.6e-2 (a
    # ring at 0.2 um, where the node's potential is small). 3 % leaves room for the
    # coarser resolution of the neck's interior than of the head
    assert np.all(rel_r < 0.03)
