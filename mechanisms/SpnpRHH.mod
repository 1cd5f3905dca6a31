TITLE SpnpRHH: reduced two-variable sodium model (biophysics summary eq 12-13)

COMMENT
The Hodgkin-Huxley model reduced to two variables (P. Latham, "A short summary of
biophysics", eq 12): sodium activation instantaneous, m = m_inf(v); inactivation h with
its own kinetics; leak; no potassium; an external drive V0.

    tau dV/dt    = -(V - E_L) - rho_Na m_inf(V)^3 h (V - E_Na) + V0         (12a)
    tau_h(V) dh/dt = h_inf(V) - h                                            (12b)

As a density mechanism (current densities in mA/cm2, outward positive):

    i = gl (v - el) + gnabar m_inf(v)^3 h (v - ena) - gl v0

In a single compartment holding only this mechanism, cm dv/dt = -i is eq 12a
multiplied by gl, with tau = cm/gl, rho_Na = gnabar/gl, and the drive V0 (mV,
as in eq 12a) enters as the current density -gl*v0 (S/cm2 * mV = mA/cm2 exactly).
v0 > 0 depolarises. In a larger model v0 is simply a constant (or Vector.play-ed)
injected current density gl*v0, inward.

Defaults are the summary's: E_L = -70 mV, E_Na = 50 mV (Fig 2; the text's "about 20 mV"
is a different parameter choice), rho_Na = 400, tau = 10 ms. With cm = 1 uF/cm2:
gl = cm/tau = (1 uF/cm2)/(10 ms) = 1e-4 S/cm2 and gnabar = rho_Na gl = 0.04 S/cm2
(spinepnp.reduced.density_parameters derives both for any cm, tau, rho_Na; a test
checks these defaults against it).

Rate functions (/ms, v in mV; defined in hh_rates.inc, shared with SpnpRing and
SpnpSpine), eq 13 corrected:
    alpha_m = 0.1 (v + 40)/(1 - exp(-0.1 (v + 40)))  (a quotient; the summary prints a
              product), removable singularity at v = -40 handled by a Taylor series
    beta_m  = 4 exp(-0.0556 (v + 65))
    alpha_h = ah0 exp(-0.05 (v + 65)), ah0 = 0.06/ms (summary; Dayan & Abbott 0.07)
    beta_h  = 1/(1 + exp(-0.1 (v + 35)))
    m_inf = alpha_m/(alpha_m + beta_m), h_inf and tau_h = 1/(alpha_h + beta_h) likewise.
The same formulas are defined once in Python (spinepnp/channels.py) and the reduced
model's nullclines and fixed points in spinepnp/reduced.py; the tests check this file
against both. No temperature (Q10) scaling.

With the defaults and no potassium the model is bistable for -184 mV < v0 < 1.2 mV: a
resting state near E_L and a depolarised (block) state near -6 mV; a supra-threshold
kick gives one spike and then block. spinepnp/reduced.py computes nullclines, fixed
points and these saddle-node drives, and explains why the summary's Fig 2 caption has the
sign of V0 reversed relative to eq 12a (implemented here as printed).

The mechanism does not use NEURON's na ion (ena here is its own parameter), so it can sit
beside hh or other sodium mechanisms without touching their ion concentrations.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX SpnpRHH
    NONSPECIFIC_CURRENT i
    RANGE gnabar, ena, gl, el, v0, ah0
    RANGE m, hinf, htau, i_na, i_leak, i_drive
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gnabar = 0.04   (S/cm2)     <0,1e9>     : rho_Na gl = 400 * 1e-4 S/cm2
    ena = 50        (mV)        <-1e3,1e3>  : sodium reversal E_Na
    gl = 1e-4       (S/cm2)     <0,1e9>     : cm/tau = (1 uF/cm2)/(10 ms)
    el = -70        (mV)        <-1e3,1e3>  : leak reversal E_L
    v0 = 0          (mV)        <-1e3,1e3>  : external drive V0 of eq 12a
    ah0 = 0.06      (/ms)       <0,1e9>     : alpha_h prefactor (summary 0.06, D&A 0.07)
}

ASSIGNED {
    v       (mV)
    i       (mA/cm2)
    i_na    (mA/cm2)
    i_leak  (mA/cm2)
    i_drive (mA/cm2)
    m       (1)     : m_inf(v), instantaneous
    hinf    (1)
    htau    (ms)
}

STATE {
    h   (1)
}

INITIAL {
    rates(v)
    h = hinf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    m = m_inf(v)
    i_na = gnabar*m*m*m*h*(v - ena)
    i_leak = gl*(v - el)
    i_drive = -gl*v0
    i = i_na + i_leak + i_drive
}

DERIVATIVE states {
    rates(v)
    h' = (hinf - h)/htau
}

PROCEDURE rates(v (mV)) {
    LOCAL ah, bh
    ah = alpha_h(v)
    bh = beta_h(v)
    hinf = ah/(ah + bh)
    htau = 1/(ah + bh)
}

FUNCTION m_inf(v (mV)) (1) {
    LOCAL am, bm
    am = alpha_m(v)
    bm = beta_m(v)
    m_inf = am/(am + bm)
}

INCLUDE "hh_rates.inc"
