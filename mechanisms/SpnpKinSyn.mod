TITLE SpnpKinSyn: kinetic synapse with transmitter pulses (biophysics summary eq 14-15)

COMMENT
Kinetic synapse of the biophysics summary (Latham 2026, eq 14-15):

    i  = g (v - e)                 (nA, outward positive as every NEURON current)
    g  = gmax s                    (uS)
    ds/dt = alpha T (1 - s) - beta s

The summary writes the opening rate as c, the "neurotransmitter concentration"; here it
is split into a binding rate alpha (/mM-ms) times the transmitter concentration T (mM),
so c = alpha T. Each presynaptic event (a NetCon event) releases a rectangular pulse of
transmitter of amplitude weight*tmax (mM) lasting tdur (ms); overlapping pulses add.
The NetCon weight is therefore a dimensionless release scale (1 = one standard pulse);
the conductance scale is gmax (uS). With T piecewise constant the equation is linear in
s, so cnexp integrates it exactly between events.

Pulse onsets and ends are events, so the synapse is exact under CVODE and runs
unchanged under threads, MPI and CoreNEURON.

With no transmitter (T = 0) a state below 1e-290 is set to exactly 0. Decaying further
it would end as a subnormal number that never reaches 0 (cnexp's decrement beta dt s
rounds to 0 near 5e-322), about 3.7 s after the last pulse at beta = 0.19/ms, and every
operation on it would then cost a microcode assist. Under CVODE this sets the copy the
derivative is evaluated at, so s' = 0 there: an error of 1e-290/ms in the derivative.
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS SpnpKinSyn
    RANGE gmax, e, alpha, beta, tmax, tdur, g, i, T
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

PARAMETER {
    gmax = 0.001  (uS)      <0, 1e9>   : maximal conductance
    e = 0         (mV)      <-200, 200>: reversal potential
    alpha = 1.1   (/mM-ms)  <0, 1e9>   : transmitter binding rate
    beta = 0.19   (/ms)     <1e-9, 1e9>: unbinding (decay) rate
    tmax = 1      (mM)      <0, 1e9>   : transmitter concentration of one pulse
    tdur = 1      (ms)      <1e-9, 1e9>: pulse duration
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    T (mM)
    npulse (1)
}

STATE {
    s (1)
}

INITIAL {
    s = 0
    T = 0
    npulse = 0
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gmax * s
    i = g * (v - e)
}

DERIVATIVE states {
    if (T == 0 && s < 1e-290) {
        s = 0     : see COMMENT: no subnormal state
    }
    s' = alpha * T * (1 - s) - beta * s
}

NET_RECEIVE(weight (1)) {
    if (flag == 0) {
        : a presynaptic event: start a pulse, end it tdur later
        T = T + weight * tmax
        npulse = npulse + 1
        net_send(tdur, 1)
    } else {
        : end of a pulse (the self event carries the weight of the NetCon that sent it)
        npulse = npulse - 1
        if (npulse <= 0) {
            npulse = 0
            T = 0
        } else {
            T = T - weight * tmax
        }
    }
}
