"""Shared set-ups of the cytoplasm (multi-species) spine tests: the paper's electrolyte,
its ball-and-neck spine, the current protocols and how the full PNP solver's head is
read. Used by tests/test_ions.py (the Python reference) and tests/test_spine_ions_pnp.py
(the SpnpSpineIons mechanism), so that both face the full PNP on the same problems."""

import math

import numpy as np

from spinepnp import laws
from spinepnp.ions import ball_and_neck_spine
from spinepnp.pnp import Species, Waveform, alpha, step

#: The paper's three-species electrolyte (Table I: Na/K/Cl 12/155/167 mM, aqueous D)
PAPER = [Species("na", 1, 1.33, 12.0), Species("k", 1, 1.96, 155.0),
         Species("cl", -1, 2.03, 167.0)]
#: A binary salt (SpnpSpine mode 2's neck): 167 mM Na with a Cl-like anion
BINARY = [Species("na", 1, 1.33, 167.0), Species("a", -1, 2.03, 167.0)]
#: The paper's Fig 3 spine: neck 1 um x 100 nm, head ball 0.5 um, a 10 nm cap at its pole
BALL_AND_NECK = dict(neck_length=1.0, neck_radius=0.05, head_radius=0.25, cap_radius=0.01)
PROFILE = laws.ball_and_neck(*BALL_AND_NECK.values())
#: the head centre on the profile [um]: where the full PNP's head potential is read
X_CENTRE = BALL_AND_NECK["neck_length"] + math.sqrt(
    BALL_AND_NECK["head_radius"] ** 2 - BALL_AND_NECK["neck_radius"] ** 2)


def ball_and_neck_reference(species, **kw):
    """The Python reference (spinepnp.ions.IonSpine) for PROFILE."""
    return ball_and_neck_spine(**BALL_AND_NECK, species=species, **kw)


def paired(peak, tpeak, gap):
    """Two alpha pulses [nA] peaking ``tpeak`` [ms] after 0 and after ``gap`` [ms]."""
    a, b = alpha(peak, tpeak), alpha(peak, tpeak, gap)
    return Waveform(lambda t: a(t) + b(t), (0.0, gap), "paired alpha pulses")


#: The Na current protocols of the transient comparisons (Na into the head [nA])
PROTOCOLS = {
    "step50pA": step(0.05),               # 50 pA Na step into the head
    "alpha": alpha(0.05, 0.5),            # alpha current, 50 pA peak at 0.5 ms
    "paired": paired(0.05, 0.2, 1.0),     # paired pulses 1 ms apart
    "minus50pA": step(-0.05),             # Na out of the head, before it runs out
}


def pnp_head(solution, field="v", name=None):
    """The full PNP solution at the head centre over its times: the potential [mV]
    (``field="v"``) or the concentration [mM] of species ``name`` (``field="c"``)."""
    rows = solution.v if field == "v" else solution.c[name]
    return np.array([np.interp(X_CENTRE, solution.x, r) for r in rows])
