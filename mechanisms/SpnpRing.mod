TITLE SpnpRing: one ring of voltage-gated channels (HH sodium m3h or instantaneous Boltzmann)

COMMENT
A ring of voltage-gated channels at one location of an ordinary section (a spine head or
neck built from Sections, or a dendrite), lumped into one point process: the total
current of all channels of the ring.

Current (nA, outward positive, like every NEURON membrane current; a positive i removes
positive charge from the cell):

    kinetics = 0 (Hodgkin-Huxley sodium gating, biophysics summary eq 7-9, 13):
        i = gmax m^3 h (v - erev)
        dm/dt = (m_inf - m)/tau_m,   dh/dt = (h_inf - h)/tau_h          (eq 7)
        x_inf = alpha_x/(alpha_x + beta_x), tau_x = 1/(alpha_x + beta_x)  (eq 8)
        alpha_m = 0.1 (v + 40)/(1 - exp(-0.1 (v + 40)))   /ms, v in mV
        beta_m  = 4 exp(-0.0556 (v + 65))
        alpha_h = ah0 exp(-0.05 (v + 65))
        beta_h  = 1/(1 + exp(-0.1 (v + 35)))
    kinetics = 1 (instantaneous activation, the paper's Fig 3A inset):
        i = gmax (v - erev)/(1 + exp(-(v - vhalf)/slope))
      the gating states m, h are still integrated (with the HH rates) but do not enter i.

Errata: the summary's eq 13b prints alpha_m as a PRODUCT
0.1 (V + 40)(1 - exp(-0.1 (V + 40))); Dayan & Abbott's rate, used here, is the quotient.
Eq 13a uses 0.06/ms for alpha_h where Dayan & Abbott use 0.07/ms: the summary's value is
the default of the parameter ah0.

alpha_m has a removable singularity at v = -40 mV (value 1/ms). With x = (v + 40)/10 it
is x/(1 - exp(-x)): for |x| < 1e-2 the Taylor series 1 + x/2 + x^2/12 - x^4/720 is used
(truncation < 4e-17 relative); elsewhere the quotient (rounding ~1e-16/|x| < 1e-14).
The Boltzmann factor is evaluated in a form that never overflows. The rates and the
Boltzmann factor are defined once, in hh_rates.inc and boltzmann.inc (INCLUDEd).

No temperature (Q10) scaling: the rates are those of the summary at any celsius.
The same formulas are defined once in Python (spinepnp/channels.py); the tests check
this file against them. FUNCTIONs alpha_m, beta_m, alpha_h, beta_h, boltzmann and the
PROCEDURE rates (which fills minf, hinf, mtau, htau) are callable from Python on an
instance, e.g. ring.alpha_m(-40).

Units: v, erev, vhalf, slope in mV; gmax in uS; i in nA; rates in /ms.
Sources: P. Latham, "A short summary of biophysics" (2026), eq 7-9, 12-13;
P. Dayan & L. F. Abbott, Theoretical Neuroscience (2001), ch. 5; the electro-diffusion
spine paper, Fig 3 (rings of voltage-gated channels; no parameter values are given there,
the Boltzmann defaults below are illustrative).
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS SpnpRing
    NONSPECIFIC_CURRENT i
    RANGE kinetics, gmax, erev, vhalf, slope, ah0
    RANGE g, minf, hinf, mtau, htau
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    kinetics = 0    (1)     <0,1>       : 0: HH sodium m3h; 1: instantaneous Boltzmann
    gmax = 0.001    (uS)    <0,1e9>     : total conductance of the ring (all channels open)
    erev = 50       (mV)    <-1e3,1e3>  : reversal potential
    vhalf = -30     (mV)    <-1e3,1e3>  : half-activation voltage (kinetics = 1)
    slope = 5       (mV)    <1e-9,1e3>  : Boltzmann slope factor, > 0 (kinetics = 1)
    ah0 = 0.06      (/ms)   <0,1e9>     : alpha_h prefactor (summary 0.06, D&A 0.07)
}

ASSIGNED {
    v       (mV)
    i       (nA)
    g       (uS)    : present conductance of the ring
    minf    (1)
    hinf    (1)
    mtau    (ms)
    htau    (ms)
}

STATE {
    m   (1)
    h   (1)
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    if (kinetics < 0.5) {
        g = gmax*m*m*m*h
    } else {
        g = gmax*boltzmann(v)
    }
    i = g*(v - erev)
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m)/mtau
    h' = (hinf - h)/htau
}

PROCEDURE rates(v (mV)) {
    LOCAL am, bm, ah, bh
    am = alpha_m(v)
    bm = beta_m(v)
    ah = alpha_h(v)
    bh = beta_h(v)
    minf = am/(am + bm)
    mtau = 1/(am + bm)
    hinf = ah/(ah + bh)
    htau = 1/(ah + bh)
}

INCLUDE "hh_rates.inc"

FUNCTION boltzmann(v (mV)) (1) {
    boltzmann = boltzmann_act(v, vhalf, slope)
}

INCLUDE "boltzmann.inc"
