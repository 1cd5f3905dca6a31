"""The analytic neck laws (spinepnp.laws) against hand values, limits and each other."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinepnp import laws
from spinepnp.constants import thermal_voltage

CYL = laws.Cylinder(1.0, 0.05)            # the paper's neck: L = 1 um, r0 = 50 nm
KW = dict(conc=167.0, diffusion=1.33, celsius=20.0)


def test_thermal_voltage_matches_paper_table():
    # Paper Table I prints kT/e = 25.26 (mV) at its temperature, 20 degC; the printed
    # value has 4 significant digits, so agree to half a unit of the last one.
    assert thermal_voltage(20.0) == pytest.approx(25.26, abs=0.005)


def test_hand_computed_values_paper_parameters():
    # Independent SI evaluation with CODATA values typed here, not taken from the code:
    # k = 1.380649e-23 J/K, e = 1.602176634e-19 C, F = 96485.33212 C/mol.
    vt = 1.380649e-23 * 293.15 / 1.602176634e-19            # V
    s = math.pi * (50e-9) ** 2                                # m2
    i_s = 2 * 167.0 * s * 1.33e-9 * 96485.33212 / 1e-6       # A, = 2 C S D F / L
    r0 = vt / i_s                                             # Ohm
    # The code's CODATA constants differ from these typed ones in the 10th digit.
    assert laws.saturation_current(CYL, **KW) == pytest.approx(i_s * 1e9, rel=1e-9)
    assert laws.ohmic_resistance(CYL, **KW) == pytest.approx(r0 / 1e6, rel=1e-9)
    r100 = vt / 100e-12 * math.log(1 + 100e-12 / i_s)
    assert laws.resistance(0.1, CYL, **KW) == pytest.approx(r100 / 1e6, rel=1e-9)
    # the rounded typical numbers of docs/guide/laws.rst: R0 = 75 MOhm, I_s = 337 pA, R(100 pA) = 65.7 MOhm,
    # 12 % below Ohm (agreement to the digits printed there).
    assert laws.ohmic_resistance(CYL, **KW) == pytest.approx(75.0, abs=0.05)
    assert laws.saturation_current(CYL, **KW) == pytest.approx(0.337, abs=0.0005)
    assert laws.resistance(0.1, CYL, **KW) == pytest.approx(65.7, abs=0.05)
    assert 1 - laws.resistance(0.1, CYL, **KW) / laws.ohmic_resistance(CYL, **KW) == \
        pytest.approx(0.12, abs=0.005)


def test_ohmic_limit():
    r0 = laws.ohmic_resistance(CYL, **KW)
    i_s = laws.saturation_current(CYL, **KW)
    assert laws.resistance(0.0, CYL, **KW) == pytest.approx(r0, rel=1e-15)
    for i in [1e-9, 1e-6, 1e-4, -1e-4]:
        dv = laws.delta_v(i, CYL, **KW)
        # dV = R0 I (1 - y/2 + y^2/3 ...), y = I/I_s: the Ohmic error is R0 I^2 / (2 I_s)
        # to leading order; check the error itself, to 1e-3 of its size (next term).
        assert dv - r0 * i == pytest.approx(-r0 * i * i / (2 * i_s), rel=1e-3, abs=1e-15)
        assert laws.resistance(i, CYL, **KW) == pytest.approx(r0 * (1 - i / (2 * i_s)),
                                                              rel=1e-7)


def test_resistance_continuous_at_zero():
    # the series branch (|y| < 1e-8) and log1p branch must join smoothly: relative jump
    # at the switch below the O(y^2) = 1e-16 truncation error plus rounding (1e-14).
    i_s = laws.saturation_current(CYL, **KW)
    eps = 1e-8 * i_s
    a = laws.resistance(eps * (1 - 1e-6), CYL, **KW)
    b = laws.resistance(eps * (1 + 1e-6), CYL, **KW)
    assert a == pytest.approx(b, rel=1e-13)


@settings(max_examples=200, deadline=None)
@given(y=st.floats(min_value=-0.999, max_value=1e3))
def test_inverse_round_trip(y):
    i_s = laws.saturation_current(CYL, **KW)
    i = y * i_s
    dv = laws.delta_v(i, CYL, **KW)
    # current(delta_v(I)) = I: expm1(log1p(y)) loses only rounding, a few ulps of I_s
    # amplified by 1/(1+y) near saturation (y = -0.999 -> 1e3 ulps).
    assert laws.current(dv, CYL, **KW) == pytest.approx(i, rel=1e-12, abs=1e-12 * i_s)


@settings(max_examples=200, deadline=None)
@given(dv=st.floats(min_value=-1e4, max_value=1e4))
def test_inverse_law_defined_for_every_dv(dv):
    i_s = laws.saturation_current(CYL, **KW)
    i = laws.current(dv, CYL, **KW)
    assert np.isfinite(i)
    assert i > -i_s or dv < -30 * thermal_voltage(20.0)   # saturates at -I_s only far out
    assert i >= -i_s


def test_current_saturates():
    i_s = laws.saturation_current(CYL, **KW)
    assert laws.current(-1e6, CYL, **KW) == pytest.approx(-i_s, rel=1e-15)
    with pytest.raises(ValueError, match="overflows"):
        laws.current(1e6, CYL, **KW)


def test_monotonic():
    i_s = laws.saturation_current(CYL, **KW)
    i = np.linspace(-0.99 * i_s, 5 * i_s, 2001)
    dv = laws.delta_v(i, CYL, **KW)
    r = laws.resistance(i, CYL, **KW)
    assert np.all(np.diff(dv) > 0)          # more current, more voltage
    assert np.all(np.diff(r) < 0)           # chord resistance falls with current
    assert dv.shape == i.shape              # vectorised


def test_hyperboloid_tends_to_cylinder():
    a, h = 0.05, 0.5
    cyl = laws.Cylinder(2 * h, a)
    errs = []
    for c in [1.0, 10.0, 100.0]:
        hyp = laws.Hyperboloid(a, a, c, h)
        errs.append(abs(laws.delta_v(0.1, hyp, **KW) / laws.delta_v(0.1, cyl, **KW) - 1))
    # S(z) = pi a^2 (1 + z^2/c^2): gamma differs from the cylinder's by O(h^2/c^2), so
    # every 10x in c cuts the error 100x (ratio between 80 and 120 allows the O(c^-4)).
    assert 80 < errs[0] / errs[1] < 120 and 80 < errs[1] / errs[2] < 120
    assert errs[2] < 1e-5


def test_hyperboloid_closed_form_eq18():
    # paper eq 18 (in z): R_h = (VT/I) ln(1 + I c arctan(L/c) / (C pi D F a b))
    a, b, c, h = 0.025, 0.04, 0.1, 0.5
    hyp = laws.Hyperboloid(a, b, c, h)
    vt = thermal_voltage(20.0) * 1e-3
    F = 96485.33212
    i = 0.05e-9
    rh = vt / i * math.log(1 + i * c * 1e-6 * math.atan(h / c) /
                           (167.0 * math.pi * 1.33e-9 * F * a * b * 1e-12))
    assert laws.resistance(0.05, hyp, **KW) == pytest.approx(rh / 1e6, rel=1e-9)


def test_profile_reproduces_closed_forms():
    # a cylinder as a profile: piecewise-linear radius is exact for a cylinder
    p = laws.Profile([0, 0.3, 1.0], [0.05, 0.05, 0.05])
    assert p.gamma == pytest.approx(CYL.gamma, rel=1e-14)
    assert laws.delta_v(0.1, p, **KW) == pytest.approx(laws.delta_v(0.1, CYL, **KW),
                                                       rel=1e-14)
    # a hyperboloid sampled at n points: chains of frustums converge at second order
    hyp = laws.Hyperboloid(0.05, 0.05, 0.2, 0.5)
    errs = []
    for n in [51, 101, 201, 401]:
        z = np.linspace(-0.5, 0.5, n)
        prof = laws.Profile(z + 0.5, np.sqrt(0.05 * 0.05 * (1 + (z / 0.2) ** 2)))
        errs.append(abs(laws.delta_v(0.1, prof, **KW) - laws.delta_v(0.1, hyp, **KW)))
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(orders > 1.9), orders   # asserted order: 2 (midpoint-like rule)


def test_profile_partial_gamma_and_potential_profile():
    hyp = laws.Hyperboloid(0.05, 0.05, 0.2, 0.5)
    x = np.linspace(0, 1, 11)
    v = laws.potential(x, 0.1, hyp, **KW)
    assert v[0] == 0.0
    assert v[-1] == pytest.approx(laws.delta_v(0.1, hyp, **KW), rel=1e-14)
    c = laws.concentration(x, 0.1, hyp, **KW)
    assert np.allclose(v, thermal_voltage(20.0) * np.log(c / 167.0), rtol=1e-13)
    # cylinder: c(x) = C + I x / (2 S D F) is linear in x (paper, after eq 4)
    cc = laws.concentration(x, 0.1, CYL, **KW)
    assert np.allclose(np.diff(cc, 2), 0.0, atol=1e-11)


def test_multispecies_profiles():
    i = 0.05
    x = np.linspace(0, 1, 2001)
    p = laws.multispecies_profile(x, i, CYL, c_na=12.0, c_k=155.0, diffusion=1.33)
    # electroneutrality, exact up to rounding
    assert np.allclose(p.c_na + p.c_k, p.c_a, rtol=1e-13)
    # voltage law is the two-species one with C = C_A (eq 13)
    assert p.v[-1] == pytest.approx(laws.delta_v(i, CYL, 167.0, 1.33), rel=1e-13)
    u = p.v / thermal_voltage(20.0)
    du = np.gradient(u, x, edge_order=2)
    # zero K and anion flux: c' + z c u' = 0. Finite differences on 2001 points have
    # O(h^2) ~ 2.5e-7 relative error, so compare against 1e-5 of the largest term.
    scale = np.max(np.abs(p.c_a * du))
    assert np.max(np.abs(np.gradient(p.c_k, x, edge_order=2) + p.c_k * du)) < 1e-5 * scale
    assert np.max(np.abs(np.gradient(p.c_a, x, edge_order=2) - p.c_a * du)) < 1e-5 * scale
    # Na flux is the injected current: c_Na' + c_Na u' = I / (S D F) in mM/um
    jna = np.gradient(p.c_na, x, edge_order=2) + p.c_na * du
    s = math.pi * 0.05 ** 2 * 1e-12            # m2
    target = i * 1e-9 / (s * 1.33e-9 * 96485.33212) * 1e-6   # (mol/m3) per um
    assert np.allclose(jna, target, rtol=1e-5)
    # paper eq 12 for the cylinder, typed in its own form
    ix = i * 1e-9 * x * 1e-6 / (math.pi * (0.05e-6) ** 2 * 1.33e-9 * 96485.33212)
    eq12 = 167.0 + ix / 2 - 2 * 155.0 * 167.0 / (2 * 167.0 + ix)
    assert np.allclose(p.c_na, eq12, rtol=1e-8)


def test_multispecies_saturation():
    i_sat = laws.multispecies_saturation_current(CYL, 12.0, 155.0, 1.33)
    i_s2 = laws.saturation_current(CYL, 167.0, 1.33)
    assert 0 < i_sat < i_s2        # Na runs out before the salt does
    # at -I_sat the head-end Na concentration is zero
    p = laws.multispecies_profile([1.0], -i_sat * (1 - 1e-12), CYL, 12.0, 155.0, 1.33)
    assert abs(p.c_na[0]) < 1e-9
    with pytest.raises(ValueError, match="saturation"):
        laws.multispecies_profile([1.0], -1.01 * i_sat, CYL, 12.0, 155.0, 1.33)
    with pytest.raises(ValueError, match="sodium"):
        laws.multispecies_delta_v(-1.01 * i_sat, CYL, 12.0, 155.0, 1.33)
    # without K the carrier is the whole salt: the two-species value
    assert laws.multispecies_saturation_current(CYL, 167.0, 0.0, 1.33) == \
        pytest.approx(i_s2, rel=1e-15)


@pytest.mark.parametrize("make", [
    lambda: laws.Cylinder(0, 0.05), lambda: laws.Cylinder(1, -0.05),
    lambda: laws.Cylinder(float("nan"), 0.05), lambda: laws.Hyperboloid(0.05, 0, 1, 1),
    lambda: laws.Profile([0, 1], [0.05, 0.0]), lambda: laws.Profile([0, 0], [1, 1]),
    lambda: laws.Profile([0, 1, 2], [1, 1]),
])
def test_bad_geometry(make):
    with pytest.raises(ValueError):
        make()


def test_bad_inputs():
    with pytest.raises(ValueError, match="conc"):
        laws.delta_v(0.1, CYL, conc=0.0)
    with pytest.raises(ValueError, match="diffusion"):
        laws.delta_v(0.1, CYL, diffusion=-1.0)
    with pytest.raises(ValueError, match="NaN"):
        laws.delta_v([0.1, float("nan")], CYL)
    with pytest.raises(ValueError, match="saturation"):
        laws.resistance(-laws.saturation_current(CYL), CYL)
    with pytest.raises(ValueError, match="not a neck"):
        laws.delta_v(0.1, "cylinder")
    with pytest.raises(ValueError, match="absolute zero"):
        laws.delta_v(0.1, CYL, celsius=-300)


def test_cable_resistance_is_neurons_formula():
    # NEURON: R = 4 Ra L / (pi d^2), Ra in Ohm cm, L and d in um -> Ohm: x 1e4 (um/cm)
    ra, length, d = 150.0, 1.0, 0.1
    expect = 4 * ra * 1e4 * length / (math.pi * d * d) / 1e6      # MOhm
    assert laws.cable_resistance(laws.Cylinder(length, d / 2), ra) == \
        pytest.approx(expect, rel=1e-13)
    # the electro-diffusion resistivity VT/(2 C D F) is ~59 Ohm cm (docs/guide/laws.rst)
    rho = laws.ohmic_resistance(CYL) / laws.cable_resistance(CYL, 1.0)
    assert rho == pytest.approx(59.0, abs=0.5)
