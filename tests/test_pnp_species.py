"""Full PNP with species of any valence and an immobile anion background (closed forms
of the electroneutral steady state that the solver must reach)."""

import numpy as np
import pytest

from spinepnp import laws
from spinepnp.constants import FARADAY, MM, NA, UM, UM2_PER_MS, thermal_voltage
from spinepnp.pnp import Species, solve_steady, solve_transient

CYL = laws.Cylinder(1.0, 0.05)
VT = thermal_voltage(20.0)


def _i_unit(conc, d):
    """F c D / Gamma [nA] for c [mM], D [um2/ms] in CYL."""
    return conc * MM * d * UM2_PER_MS * FARADAY * UM / CYL.gamma / NA


def test_immobile_anion_makes_the_neck_linear():
    """Na carries the current beside K with every anion fixed (D = 0, 167 mM). K sits at
    Boltzmann equilibrium, c_Na + c_K = A, so the Na flux is -D_Na S A du/dx and the
    potential is exactly linear in gamma: V_head = VT I Gamma / (F D_Na A) (no
    saturation curvature, unlike the mobile-anion law of eq 10-14)."""
    sp = [Species("na", 1, 1.33, 12.0), Species("k", 1, 1.96, 155.0),
          Species("a", -1, 0.0, 167.0)]
    for i in (0.005, -0.005):
        s = solve_steady(CYL, i, sp, n=1201)
        expect = VT * i / _i_unit(167.0, 1.33)
        # 1e-4: the bulk head potential is extrapolated through the head-end Debye
        # layer (the mobile-anion steady tests reach the law to ~1e-5 the same way)
        assert s.bulk_head_potential == pytest.approx(expect, rel=1e-4)
        # the background does not move at all: its rows hold it at the bulk value
        assert np.all(s.c["a"] == 167.0)
        # K is at Boltzmann equilibrium in the bulk (middle of the neck)
        mid = np.argmin(np.abs(s.x - 0.5))
        assert s.c["k"][mid] == pytest.approx(155.0 * np.exp(-s.v[mid] / VT), rel=1e-6)


def test_immobile_anion_stays_put_in_a_transient():
    sp = [Species("na", 1, 1.33, 12.0), Species("k", 1, 1.96, 155.0),
          Species("cl", -1, 2.03, 10.0), Species("a", -1, 0.0, 157.0)]
    tr = solve_transient(CYL, 0.02, 0.5, sp, t_eval=[0.01, 0.5], n=401)
    assert np.all(tr.c["a"] == 157.0)
    assert tr.c["cl"][-1, -1] != pytest.approx(10.0, rel=1e-3)   # Cl does move


def test_divalent_carrier_closed_form():
    """CaCl2 (Ca z = 2 carries the current, Cl at Boltzmann equilibrium, c_Cl = 2 c_Ca):
    the Ca flux is -3 D_Ca S c d(e^u)/dx, so e^{u(x)} = 1 + I gamma(x) / (6 F D_Ca c)."""
    c = 50.0
    sp = [Species("ca", 2, 0.79, c), Species("cl", -1, 2.03, 2 * c)]
    for i in (0.02, -0.02):
        s = solve_steady(CYL, i, sp, carrier="ca", n=1201)
        expect = VT * np.log(1.0 + i / (6.0 * _i_unit(c, 0.79)))
        # 1e-4: Debye-layer extrapolation as above
        assert s.bulk_head_potential == pytest.approx(expect, rel=1e-4)


@pytest.mark.parametrize("species, carrier, match", [
    ([Species("na", 1, 0.0, 10.0), Species("a", -1, 2.0, 10.0)], "na", "immobile"),
    ([Species("na", 1, 0.0, 10.0), Species("a", -1, 0.0, 10.0)], "na", "immobile"),
    ([Species("na", 1, 1.0, 10.0), Species("a", -1, 0.0, 10.0)], "ca", "not one of"),
])
def test_bad_species_sets_are_refused(species, carrier, match):
    with pytest.raises(ValueError, match=match):
        solve_steady(CYL, 0.001, species, carrier=carrier, n=101)


@pytest.mark.parametrize("kw, match", [
    (dict(z=0), "non-zero integer"), (dict(z=1.5), "non-zero integer"),
    (dict(diffusion=-1.0), "diffusion"), (dict(conc=float("nan")), "conc"),
])
def test_bad_species_fields_are_refused(kw, match):
    args = dict(name="ca", z=2, diffusion=0.79, conc=1.0)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        Species(**args)
