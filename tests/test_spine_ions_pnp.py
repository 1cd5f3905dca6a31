"""SpnpSpineIons (the NEURON mechanism) against the full PNP solver with the same species.

The paper's ball-and-neck spine (neck 1 um x 100 nm, head ball 0.5 um, a 10 nm cap at its
pole; tests/ion_helpers.py) in the paper's Na/K/Cl electrolyte and in the default
cytoplasm. The full PNP (:func:`spinepnp.pnp.solve_transient`, no electroneutrality
assumed) is read at the head centre. The mechanism sits on a dendrite voltage-clamped at
-70 mV whose ions are the bulk concentrations (the PNP's dendrite end), with the head
current played into ``iinj_na``; its head potential is ``vhead - v``.

The mechanism's neck: a cylinder whose Gamma includes the junction from the neck's end
to the head's centre (the profile's int dx/S there, 2 % of the neck's), the point at
which the full PNP's head potential is read; its volume is the cylinder's. The head is a
sphere of 0.5 um (its volume is the profile's head to 0.04 %).

The issue's bounds: head potential within 2 % from 10 us on (the head has no capacitance
in the mechanism: its charging time R C_head is ~1 us), and the time at which the head's
Na runs out within 5 %.
"""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from spinepnp.ions import cytoplasm
from spinepnp.pnp import DepletionError, solve_transient, step

from ion_helpers import (BALL_AND_NECK, PAPER, PROFILE, PROTOCOLS,
                         ball_and_neck_reference, pnp_head)

#: the mechanism's neck for the ball-and-neck spine (see the module docstring)
_REF = ball_and_neck_reference(PAPER)
NECK = SimpleNamespace(length=BALL_AND_NECK["neck_length"], gamma=_REF.Gamma,
                       volume=math.pi * BALL_AND_NECK["neck_radius"] ** 2
                       * BALL_AND_NECK["neck_length"])
HEAD_DIAM = 2 * BALL_AND_NECK["head_radius"]
TIMES = [0.01, 0.1, 0.2, 0.5, 1.0, 1.2]          # ms: from 10 us on


def mechanism(h, currents, t_stop, t_eval, species=PAPER, dt=1e-3, **params):
    """The mechanism on the ball-and-neck spine: vhead - v [mV], nahead [mM] at
    ``t_eval``, invalid, tinvalid (spinepnp.compare.ions.clamped_ion_run), with the
    release site of the current leaving through the cap (the reference's site_gamma)."""
    from spinepnp.compare.ions import clamped_ion_run
    h.celsius = 20.0                               # the PNP solver's default
    params.setdefault("site_gamma", _REF.site_gamma)
    return clamped_ion_run(currents, t_stop, t_eval, species=species, dt=dt,
                           geo=dict(neck_len=1.0, neck_diam=0.1, head_diam=HEAD_DIAM),
                           neck=NECK, **params)


def _pnp(wave, t_stop, species=PAPER, n=401):
    return solve_transient(PROFILE, wave, t_stop, species, t_eval=TIMES, n=n)


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_head_potential_matches_full_pnp(h, protocol):
    """50 pA Na step, alpha current (50 pA peak), paired pulses and a -50 pA Na step
    (until 1.2 ms, before Na runs out): head potential within 2 % of the full PNP."""
    wave = PROTOCOLS[protocol]
    mech = mechanism(h, {"na": wave}, TIMES[-1], TIMES)
    pnp = pnp_head(_pnp(wave, TIMES[-1]))
    assert mech["invalid"] == 0
    # the 2 % at every time from 10 us on (observed: below 0.05 %, 0.13 % at the
    # second pulse's onset; the junction in Gamma is what brings it there, without it
    # the mechanism is 2.2 % low)
    assert np.all(np.abs(mech["vhead"] / pnp - 1.0) < 0.02), mech["vhead"] / pnp - 1.0


def test_cytoplasm_with_fixed_anions_and_calcium_matches_full_pnp(h):
    """The default cytoplasm (K 140, Na 12, Cl 7 mM, 100 nM Ca, immobile anions),
    without the head's Ca buffer and pump (the full PNP has neither): 50 pA of Na into
    the head. Head potential within 2 %; head Ca, which the field drives out (z = 2),
    falls by the same amount."""
    sp = cytoplasm()
    mech = mechanism(h, {"na": PROTOCOLS["step50pA"]}, 1.0, TIMES[:5], species=sp,
                     ca_buffer=0.0, ca_tau=1e12, record=("vhead", "nahead", "cahead"))
    tr = solve_transient(PROFILE, PROTOCOLS["step50pA"], 1.0, sp, t_eval=TIMES[:5], n=401)
    pnp = pnp_head(tr)
    assert np.all(np.abs(mech["vhead"] / pnp - 1.0) < 0.02)     # the 2 %
    d_ca = pnp_head(tr, "c", "ca") - 1e-4
    m_ca = mech["cahead"] - 1e-4
    assert np.all(d_ca[1:] < 0) and np.all(m_ca[1:] < 0)
    # 10 % from 0.2 ms on (observed 15 % at 0.1 ms, then 6 %, 2 %, 0.6 %): the
    # quasi-1D head of the full PNP mixes within ~0.05 ms (r^2/D), the mechanism's head
    # at once; the reference's test (tests/test_ions.py) sees the same
    assert np.allclose(m_ca[2:], d_ca[2:], rtol=0.10)


def test_na_runout_time_matches_full_pnp(h):
    """-50 pA of Na out of the head: the time at which the head's Na runs out (the
    mechanism's tinvalid, flag 2) within 5 % of the full PNP's (which has no solution
    beyond it: DepletionError). The full PNP's Na runs out first under the membrane
    where the current leaves (the cap at the head's pole): the mechanism's release site
    (site_gamma, the profile's int f^2 dx/S) has that drop; its well-mixed head alone
    would run out 21 % late."""
    with pytest.raises(DepletionError) as info:
        solve_transient(PROFILE, step(-0.05), 10.0, PAPER, n=401)
    mech = mechanism(h, {"na": -0.05}, 5.0, [5.0])
    assert int(mech["invalid"]) & 2
    # the 5 % (observed 0.7 %: 1.5275 against 1.5166 ms, with 3 neck cells as with 6; the same with a 4x
    # smaller step; 21 % late with site_gamma = 0)
    assert mech["tinvalid"] == pytest.approx(info.value.t, rel=0.05)


def test_na_runs_out_and_is_flagged(h):
    """-50 pA of Na out of the head: the run-out is flagged (flag 2), between the head's
    own store (12 mM x 0.065 um3 at 0.52 mM um3/ms: 1.5 ms) and a few ms (the neck's
    resupply stretches it), and no concentration goes negative or NaN. A well-mixed
    head (site_gamma = 0) runs out later than one with its release site."""
    te = np.linspace(0.0, 5.0, 51)
    mech = mechanism(h, {"na": -0.05}, 5.0, te, record=("vhead", "nahead", "khead"),
                     site_gamma=0.0)
    assert int(mech["invalid"]) & 2
    assert 1.4 < mech["tinvalid"] < 3.0
    site = mechanism(h, {"na": -0.05}, 5.0, te)
    assert site["tinvalid"] < mech["tinvalid"]
    for k in ("nahead", "khead"):
        assert np.all(np.isfinite(mech[k])) and np.all(mech[k] >= 0)


@pytest.mark.slow
@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_head_potential_on_fine_meshes(h, protocol):
    """The same comparison on a 4x finer PNP mesh (n = 1601) and a 4x smaller
    mechanism step: the agreement is not an accident of either's discretisation (the
    full PNP's head potential moves by < 1e-5 relative from n = 401 to 1601)."""
    wave = PROTOCOLS[protocol]
    mech = mechanism(h, {"na": wave}, TIMES[-1], TIMES, dt=2.5e-4)
    pnp = pnp_head(_pnp(wave, TIMES[-1], n=1601))
    assert np.all(np.abs(mech["vhead"] / pnp - 1.0) < 0.02)     # the 2 %
