TITLE SpnpSpine: a whole spine (electro-diffusive neck, synapses, rings) as one point process

COMMENT
A spine as ONE point process placed in a dendrite segment (spinepnp, issue 4; design in
DESIGN.md section 3). The spine head is an internal node in quasi-static balance: at every
evaluation the head voltage vhead solves

    ineck(vhead - v) = ihead(vhead)                                          (1)

where ineck is the current through the neck (positive from the head to the dendrite) and
ihead the sum of the currents entering the head across its membrane. The head capacitance
is dropped (its charging time R0*C_head is ~1 us, far below any dt; the head error this
causes is ~ R0 C_head dvhead/dt). The current handed to the dendrite is then a function of
the dendrite's v given the mechanism's states, and its derivative (the series combination
of neck and head slope conductances, supplied analytically through CONDUCTANCE) makes the
coupling implicit: fixed step, CVODE, threads and CoreNEURON treat it like a synapse.

Sign convention: NEURON point-process currents are outward positive (leaving the
dendrite). The neck current enters the dendrite, so i = -ineck: a depolarising spine shows
a negative i.

Neck laws (x = vhead - v, VT = k T/e from NEURON's celsius, C = conc, D = diff):
  mode = 0  Ohmic: ineck = x/r0. r0 = rneck if rneck > 0, else ra*gamma if ra > 0, else
            the Ohmic limit of the PNP law VT/isat (then mode 0 differs from mode 1 only
            by the nonlinearity).
  mode = 1  steady electroneutral PNP law (the paper, seeds/000_c2a00f66632e34dd.txt,
            eq 5-7 and 15-18, generalised to any profile; errata in DESIGN.md section 2):
            ineck = isat (exp(x/VT) - 1), isat = 2 C D F/gamma, gamma = integral dx/S(x)
            over the neck [1/um] (set gamma for a hyperboloid or any profile; 0 means a
            cylinder neck_len x neck_diam). For x/VT > 50 the exponential is continued
            linearly (C1, still convex) so nothing overflows.
  mode = 2  dynamic electroneutral neck for a binary salt (carrier cation D = diff, anion
            D- = diff_anion). With c(x, t) the salt concentration:
              ineck = (x - ediff)/rdyn,  rdyn = VT/(F (D + D-)) integral dgamma/c,
              ediff = -VT (D - D-)/(D + D-) ln(chead/conc),
            and c obeys ambipolar diffusion, D_a = 2 D D-/(D + D-), along the neck
            (4 cells of equal gamma, states c1 c2 c3; c = conc at the dendrite) into a
            well-mixed head of volume pi head_diam^3/6 (state ch) fed by t- ineck/F,
            t- = D-/(D + D-). The resistance integral uses the exact logarithmic mean of
            c over each cell, so the steady state (c linear in gamma) is exactly mode 1:
            chead/conc = 1 + ineck/isat = exp(x/VT). Right after a change the neck is the
            bulk electrolyte, rdyn = r0 2 D/(D + D-) (0.79 r0 for NaCl): the anions still
            carry current; they stop as they reach their Boltzmann profile, on the time
            scale V_head L/(D_a S) (ms). Concentrations are floored at cmin for the
            conductance; a head emptied of salt (chead -> 0) is the physical limit of the
            model: watch chead. The neck volume is neck_vol (0: the cylinder's).
  Errata kept in mind: DESIGN.md writes the segment law as (2 D F C/gamma_seg) VT
  (w_a - w_b); 2 C D F/gamma is already a current (isat), so it is isat_seg (w_a - w_b).
Head currents (positive = into the head):
  iinj (constant, for I-V protocols), a leak gleak to eleak (plus a floor conductance
  gfloor, 1 pS by default, that keeps (1) solvable when the neck saturates), AMPA double
  exponential (tau1, tau2, e_ampa), NMDA double exponential (nmda_tau1, nmda_tau2, e_nmda)
  with the Jahr & Stevens (1990) Mg block 1/(1 + mg/3.57 exp(-0.062 vhead)), a ring of HH
  Na channels gna_head m^3 h (vhead - ena) with the summary's eq 13 rates (alpha_m a
  quotient as in Dayan & Abbott, alpha_h prefactor ah0 = 0.06 by default: the summary's
  value; identical to spinepnp/channels.py), and an instantaneous Boltzmann ring
  gbz_head (vhead - ebz)/(1 + exp(-(vhead - vhalf_bz)/slope_bz)) (the paper's Fig 3
  inset). A NetCon event with weights (w_ampa, w_nmda) [uS] opens AMPA and NMDA; each
  double exponential is normalised so that one event of weight w peaks at w (as Exp2Syn;
  tau1 is kept below tau2 the same way).
Neck ring (modes 0 and 1): gna_neck (HH Na, states mn hn) and gbz_neck (Boltzmann, same
  kinetic parameters as the head's) at ring_pos (fraction of neck_len; ring_gamma, the
  integral dx/S from the dendrite to the ring, for non-cylindrical necks). The steady neck
  is linear in w = exp((V - v)/VT): segment a (dendrite-ring) carries isat_a (w_ring - 1),
  segment b (ring-head) isat_b (w_head - w_ring), isat_a,b = 2 C D F/gamma_a,b (mode 0:
  resistances r0 gamma_a,b/gamma), so the ring node is solved exactly (vring output).
  The drop-in spine delivers segment a's current. Mode 2 has no ring node (the Python
  helper refuses it; the mechanism ignores neck rings in mode 2).
Solving (1): F(x) = ineck(x) - ihead(v + x) is increasing and convex with passive head
  currents; NMDA and Boltzmann rings can make it non-monotone with several roots. Newton
  from the previous solution (warm start); while F keeps its sign the walk goes in the
  direction -F (where the dropped head capacitance would carry vhead) with capped,
  doubling steps; once the sign changes the root is bracketed and Newton is safeguarded by
  bisection. So the physical branch is followed continuously and left only at a fold
  (hysteresis). In mode 1, Newton steps from the left are clipped at VT ln(1 + ihead/isat),
  an upper bound of the root when ihead decreases with vhead. Tolerance 1e-10 mV. With a
  neck ring the ring node is the outer unknown and the head balance the inner one.
  A plain Newton step is accepted without a further evaluation when it is final: F linear
  (modes 0 and 2 with a linear head) or, in mode 1, its error (dx)^2/(2 VT) below the
  tolerance.
Fast path (PROCEDURE spine, the code a thousand spines run every step): with a linear
  head (no NMDA conductance, no Boltzmann ring, no neck ring; an HH head ring is linear at
  given m, h) F is linear in modes 0 and 2, and increasing and convex in mode 1, where
  Newton runs from an anchor (kxw, kww = exp(kxw/VT): the last point where the law was
  evaluated with exp()). Between inputs the first Newton step is final without any exp;
  otherwise a few Newton steps with exp() (monotone from the second on, by convexity);
  steps over 5 mV, steps towards exp overflow and everything else go to the full solver
  above.
When it runs: in BREAKPOINT (the node's v passed explicitly) and, if refresh = 1, again
  at the end of the state update, so that a recorded vhead belongs to the recorded v. The
  refresh stamps kt with the time of the next BREAKPOINT (t + dt/2, as NEURON's fixed step
  advances t), which then reuses its ineck and gtot unless an event arrived (NET_RECEIVE
  clears kt) or v or iinj changed: one solve per step. Other parameters changed from hoc
  or Python between steps take effect at that step's refresh (within one dt). Under
  CVODE no state update runs between evaluations, the stamp never matches and every
  evaluation solves. refresh = 0: solved in BREAKPOINT only, outputs included (they lag
  v by one step, like NEURON's currents).
Synaptic states under fixed step: the state update runs half a step after the BREAKPOINT
  (t = kb + dt/2, as NEURON and CoreNEURON advance t; kb is stamped by every BREAKPOINT).
  There the AMPA and NMDA states decay by cached exact factors exp(-dt/tau), written as
  the rate fa = (exp(-dt/tau1) - 1)/dt so that cnexp's update X + dt fa X is that decay:
  the same values as cnexp's exponential update without an exp() per step. Under CVODE
  the state functions are evaluated at the time of their BREAKPOINT, never half a step
  later, so the DERIVATIVE form (-X/tau) is used. tau1, tau2, nmda_tau1 and nmda_tau2
  are read at INITIAL; the factors follow dt changes.
Unused states cost nothing: the NMDA states, the ring states (m h, mn hn) and the mode 2
  neck states are integrated only while in use (NMDA: while not both exactly 0); with
  none in use the DERIVATIVE block touches only the AMPA states, except in one evaluation
  after finitialize and after the last is switched off (flag zs), which writes zero
  derivatives so that CVODE never integrates a stale one.
  The mode 2 neck conductance and diffusion potential (neck2) are recomputed after each
  state update and in every BREAKPOINT that solves. Parameters are read at every solve,
  except geometry, mode, conc, diff, diff_anion, rneck, ra, ring_pos, ring_gamma, the
  synaptic time constants and celsius, which are read at INITIAL.
Outputs: vhead (mV), vring (mV, with a neck ring; otherwise v), ineck (nA), reff (MOhm,
  (vhead - v)/ineck; the slope value at ineck = 0), chead (mM: the mode 2 head state; in
  mode 1 its steady value conc (1 + ineck/isat); conc in mode 0), r0 (MOhm, Ohmic limit
  in use), isat (nA, saturation current: an outward current larger than isat cannot be
  drawn through the neck), vt (mV), gampa, gnmda (uS), gtot (uS, the di/dv handed to
  NEURON), niter (evaluations of F so far that needed exp() or the full solver, a cost
  counter: the fast path's exp-free first Newton step is not counted), minf mtau hinf htau (the
  last rates() call, for tests).
Sources: the paper (seeds/000_c2a00f66632e34dd.txt, eq 5-7, 14-18), the biophysics summary
  (seeds/002_9e275d18b092ade4.txt, eq 13), Jahr & Stevens, J Neurosci 10:3178 (1990),
  DESIGN.md sections 2-3 (the dynamic neck, the embedding and its prototype lessons).
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS SpnpSpine
    NONSPECIFIC_CURRENT i
    RANGE mode, rneck, ra, gamma, neck_len, neck_diam, neck_vol, head_diam
    RANGE conc, diff, diff_anion, cmin
    RANGE iinj, gleak, eleak, gfloor
    RANGE tau1, tau2, e_ampa, nmda_tau1, nmda_tau2, e_nmda, mg
    RANGE gna_head, ena, ah0, gbz_head, ebz, vhalf_bz, slope_bz
    RANGE gna_neck, gbz_neck, ring_pos, ring_gamma, vring, refresh
    RANGE vhead, ineck, reff, chead, r0, isat, vt, gampa, gnmda, gtot, niter
    RANGE minf, mtau, hinf, htau
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (MOhm) = (megohm)
    (um) = (micron)
    (mM) = (milli/liter)
    FARADAY = (faraday) (kilocoulomb)          : Faraday's constant, for VT = R T/F in mV
    FN = (faraday) (nA ms/mM um3)              : Faraday's constant: 1 mM um3/ms of charge is FN nA
    R = (k-mole) (joule/degC)                  : molar gas constant
    PI = (pi) (1)
    RAF = (1) (megohm um/ohm cm)               : ohm cm * /um -> MOhm (0.01)
}

PARAMETER {
    mode = 1        (1)       <0, 2>       : 0 Ohmic, 1 steady PNP law, 2 dynamic neck
    rneck = 0       (MOhm)    <0, 1e9>     : mode 0 resistance (0: from ra or the law)
    ra = 0          (ohm cm)  <0, 1e9>     : mode 0 resistivity used if rneck = 0
    gamma = 0       (/um)     <0, 1e12>    : integral dx/S(x) of the neck (0: cylinder)
    neck_len = 1    (um)      <1e-6, 1e6>  : neck length
    neck_diam = 0.1 (um)      <1e-6, 1e6>  : neck diameter (cylinder)
    neck_vol = 0    (um3)     <0, 1e9>     : neck volume for mode 2 (0: cylinder)
    head_diam = 0.5 (um)      <1e-6, 1e6>  : head diameter (sphere volume, mode 2)
    conc = 167      (mM)      <1e-6, 1e6>  : salt concentration at the dendrite end
    diff = 1.33     (um2/ms)  <1e-9, 1e6>  : diffusion coefficient of the carrier cation
    diff_anion = 2.03 (um2/ms) <1e-9, 1e6> : diffusion coefficient of the anion (mode 2)
    cmin = 1e-6     (mM)      <1e-30, 1e6> : concentration floor for the mode 2 conductance
    iinj = 0        (nA)      <-1e9, 1e9>  : constant current into the head
    gleak = 0       (uS)      <0, 1e9>     : head leak conductance
    eleak = -70     (mV)      <-1e3, 1e3>  : head leak reversal
    gfloor = 1e-6   (uS)      <1e-15, 1e9> : floor conductance to eleak (keeps (1) solvable)
    tau1 = 0.2      (ms)      <1e-6, 1e9>  : AMPA rise time constant
    tau2 = 2        (ms)      <1e-6, 1e9>  : AMPA decay time constant
    e_ampa = 0      (mV)      <-1e3, 1e3>  : AMPA reversal
    nmda_tau1 = 2   (ms)      <1e-6, 1e9>  : NMDA rise time constant
    nmda_tau2 = 50  (ms)      <1e-6, 1e9>  : NMDA decay time constant
    e_nmda = 0      (mV)      <-1e3, 1e3>  : NMDA reversal
    mg = 1          (mM)      <0, 1e3>     : extracellular Mg for the NMDA block
    gna_head = 0    (uS)      <0, 1e9>     : HH Na ring in the head, maximal conductance
    ena = 50        (mV)      <-1e3, 1e3>  : Na reversal for the HH ring
    ah0 = 0.06      (/ms)     <0, 1e3>     : alpha_h prefactor (summary 0.06, D&A 0.07)
    gbz_head = 0    (uS)      <0, 1e9>     : Boltzmann ring in the head, max conductance
    ebz = 50        (mV)      <-1e3, 1e3>  : Boltzmann ring reversal
    vhalf_bz = -30  (mV)      <-1e3, 1e3>  : Boltzmann ring half activation
    slope_bz = 5    (mV)      <1e-3, 1e3>  : Boltzmann ring slope
    gna_neck = 0    (uS)      <0, 1e9>     : HH Na ring on the neck (modes 0, 1)
    gbz_neck = 0    (uS)      <0, 1e9>     : Boltzmann ring on the neck (modes 0, 1)
    ring_pos = 0.5  (1)       <1e-6, 0.999999> : neck ring position, fraction of neck_len
    ring_gamma = 0  (/um)     <0, 1e12>    : integral dx/S from the dendrite to the ring
                                           : (0: ring_pos*gamma, exact for a cylinder)
    refresh = 1     (1)       <0, 1>       : 1: re-solve the head after each state update
}

ASSIGNED {
    v (mV)
    dt (ms)
    celsius (degC)
    i (nA)
    vhead (mV)
    vring (mV)
    ineck (nA)
    reff (MOhm)
    chead (mM)
    r0 (MOhm)
    isat (nA)
    vt (mV)
    gampa (uS)
    gnmda (uS)
    gtot (uS)
    niter (1)
    factor_ampa (1)
    factor_nmda (1)
    kc (/ms)
    kh (/ms)
    kin (mM/nA-ms)
    gcoef (uS/mM)
    gdyn (uS)
    ediff (mV)
    minf (1)
    mtau (ms)
    hinf (1)
    htau (ms)
    isv (uS)
    cis (mM/nA)
    nw (1)
    fa (/ms)
    fb (/ms)
    fan (/ms)
    fbn (/ms)
    kdt (ms)
    kb (ms)
    fring (1)
    zs (1)
    kt (ms)
    kv (mV)
    kiinj (nA)
    kxw (mV)
    kww (1)
}

STATE {
    A (uS)
    B (uS)
    An (uS)
    Bn (uS)
    m (1)
    h (1)
    mn (1)
    hn (1)
    c1 (mM)
    c2 (mM)
    c3 (mM)
    ch (mM)
}

INITIAL {
    LOCAL tp, k
    setup()
    A = 0
    B = 0
    An = 0
    Bn = 0
    if (tau1/tau2 > 0.9999) {
        tau1 = 0.9999*tau2
    }
    if (nmda_tau1/nmda_tau2 > 0.9999) {
        nmda_tau1 = 0.9999*nmda_tau2
    }
    tp = (tau1*tau2)/(tau2 - tau1)*log(tau2/tau1)
    factor_ampa = 1/(-exp(-tp/tau1) + exp(-tp/tau2))
    tp = (nmda_tau1*nmda_tau2)/(nmda_tau2 - nmda_tau1)*log(nmda_tau2/nmda_tau1)
    factor_nmda = 1/(-exp(-tp/nmda_tau1) + exp(-tp/nmda_tau2))
    niter = 0
    gnmda = 0
    kt = -1e300 (ms)
    kv = 0
    kiinj = 0
    zs = 1
    kxw = 0
    kww = 1
    nw = 0
    ch = conc
    c1 = conc
    c2 = conc
    c3 = conc
    vhead = v
    vring = v
    kdt = -1 (ms)
    kb = -1e300 (ms)
    m = 0
    h = 1
    mn = 0
    hn = 1
    : the head voltage depends on m, h and m, h on the head voltage: iterate to the
    : resting fixed point (a contraction for any sensible ring; 20 sweeps are plenty)
    FROM k = 0 TO 19 {
        if (mode == 2) {
            : start the dynamic neck at the steady (mode 1) profile of the resting head
            mode = 1
            spine(1, v)
            mode = 2
            c1 = conc + 0.25*(chead - conc)
            c2 = conc + 0.5*(chead - conc)
            c3 = conc + 0.75*(chead - conc)
            ch = chead
            neck2()
        }
        spine(1, v)
        rates(vhead)
        m = minf
        h = hinf
        rates(vring)
        mn = minf
        hn = hinf
    }
    spine(1, v)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    : the time of this evaluation: the fixed-step state update comes half a step later
    kb = t
    : v passed explicitly: with CONDUCTANCE, nocmodl's nrn_cur hands the BREAKPOINT the
    : node voltage but does not update the copy a PROCEDURE would read.
    : With refresh = 1 the fixed-step state update ends with the head solved for the new v
    : and states and stamps kt with the time of the next evaluation (half a step later),
    : which then reuses that solution unless an event arrived (NET_RECEIVE clears kt) or
    : v or iinj changed. Under CVODE no state update runs between evaluations, the stamp
    : never matches and every evaluation solves. With refresh = 0 the head is solved here,
    : outputs included (they then lag v by one step).
    if (t != kt || v != kv || iinj != kiinj) {
        if (mode == 2) {
            neck2()
        }
        spine(1 - refresh, v)
    }
    i = -ineck
    CONDUCTANCE gtot
}

DERIVATIVE states {
    LOCAL act, ka, kbb
    : zs = 0: no ring, a static neck law and no NMDA conductance, the common case: only the
    : AMPA states. Otherwise (and in one evaluation after finitialize and after the last
    : of these is switched off) the full block, which writes zero derivatives for the
    : states not in use, so that CVODE never integrates a stale derivative; unused states
    : are not touched at all (the spine must be cheap).
    if (zs == 0 && gna_head == 0 && gna_neck == 0 && An == 0 && Bn == 0) {
        : a synapse at rest (both states exactly 0) stays there: no exp per step
        if (t == kb + 0.5*dt) {
            : fixed step (see COMMENT): exact decay by cached factors
            if (dt != kdt) {
                decay()
            }
            ka = A
            kbb = B
            A' = fa*ka
            B' = fb*kbb
        } else if (A != 0 || B != 0) {
            A' = -A/tau1
            B' = -B/tau2
        } else {
            A' = 0
            B' = 0
        }
    } else {
        act = 0
        if (mode == 2 || gna_head > 0 || gna_neck > 0) {
            : the head at the new v (ring rates, head salt flux)
            act = 1
            spine(1, v)
        }
        if (t == kb + 0.5*dt) {
            if (dt != kdt) {
                decay()
            }
            ka = A
            kbb = B
            A' = fa*ka
            B' = fb*kbb
        } else if (A != 0 || B != 0) {
            A' = -A/tau1
            B' = -B/tau2
        } else {
            A' = 0
            B' = 0
        }
        if (An != 0 || Bn != 0) {
            if (t == kb + 0.5*dt) {
                ka = An
                kbb = Bn
                An' = fan*ka
                Bn' = fbn*kbb
            } else {
                An' = -An/nmda_tau1
                Bn' = -Bn/nmda_tau2
            }
            act = 1
        } else {
            An' = 0
            Bn' = 0
            gnmda = 0
        }
        if (gna_head > 0) {
            rates(vhead)
            m' = (minf - m)/mtau
            h' = (hinf - h)/htau
        } else {
            m' = 0
            h' = 0
        }
        if (gna_neck > 0) {
            rates(vring)
            mn' = (minf - mn)/mtau
            hn' = (hinf - hn)/htau
        } else {
            mn' = 0
            hn' = 0
        }
        if (mode == 2) {
            c1' = kc*(conc - 2*c1 + c2)
            c2' = kc*(c1 - 2*c2 + c3)
            c3' = kc*(c2 - 2*c3 + ch)
            ch' = kh*(c3 - ch) + kin*ineck
            neck2()
        } else {
            c1' = 0
            c2' = 0
            c3' = 0
            ch' = 0
        }
        : stay on this path while anything here is in use (mode 2 always)
        zs = act
    }
    : refresh the head with the new v and states: a recorded vhead then belongs to the
    : recorded v (refresh = 0 saves this solve; the outputs then lag one step)
    if (refresh == 1) {
        spine(1, v)
        kt = t + 0.5*dt
        kv = v
        kiinj = iinj
    }
}

NET_RECEIVE(w_ampa (uS), w_nmda (uS)) {
    INITIAL {
        : present so that finitialize keeps w_nmda (without it NEURON zeroes every
        : NetCon weight but the first)
    }
    A = A + w_ampa*factor_ampa
    B = B + w_ampa*factor_ampa
    An = An + w_nmda*factor_nmda
    Bn = Bn + w_nmda*factor_nmda
    kt = -1e300 (ms)
}

PROCEDURE decay() {
    : the synaptic states' exact decay over one fixed step dt, written as a rate so that
    : the state update dt*rate*X multiplies X by exp(-dt/tau): fa = (exp(-dt/tau1) - 1)/dt
    : etc. (tau1, tau2, nmda_tau1, nmda_tau2 are read at INITIAL; a new dt is picked up at
    : the next step)
    fa = (exp(-dt/tau1) - 1)/dt
    fb = (exp(-dt/tau2) - 1)/dt
    fan = (exp(-dt/nmda_tau1) - 1)/dt
    fbn = (exp(-dt/nmda_tau2) - 1)/dt
    kdt = dt
}

PROCEDURE setup() {
    LOCAL f, gam, dgam, vseg, vhd, gdif, tminus
    : derived constants (temperature, geometry, law); called from INITIAL
    vt = R*(celsius + 273.15 (degC))/FARADAY
    if (gamma > 0) {
        gam = gamma
    } else {
        gam = neck_len/(PI*neck_diam*neck_diam/4)
    }
    isat = 2*conc*diff*FN/gam
    r0 = vt/isat
    isv = isat/vt
    cis = conc/isat
    if (mode == 0) {
        if (rneck > 0) {
            r0 = rneck
        } else if (ra > 0) {
            r0 = ra*gam*RAF
        }
    }
    : neck ring: the neck splits into a (dendrite to ring, fraction fring of gamma) and b
    : (ring to head)
    if (ring_gamma > 0) {
        f = ring_gamma/gam
    } else {
        f = ring_pos
    }
    : keep both segments finite (a ring at an end is a ring in the head or the dendrite)
    if (f < 1e-6) { f = 1e-6 }
    if (f > 1 - 1e-6) { f = 1 - 1e-6 }
    fring = f
    : mode 2: four cells of equal gamma; the head cell holds the head and half a cell
    dgam = gam/4
    if (neck_vol > 0) {
        vseg = neck_vol/4
    } else {
        vseg = neck_len*PI*neck_diam*neck_diam/16
    }
    vhd = PI*head_diam*head_diam*head_diam/6 + vseg/2
    gdif = 2*diff*diff_anion/(diff + diff_anion)/dgam
    tminus = diff_anion/(diff + diff_anion)
    kc = gdif/vseg
    kh = gdif/vhd
    kin = tminus/(FN*vhd)
    gcoef = FN*(diff + diff_anion)/(vt*dgam)
}

FUNCTION ilm(a (mM), b (mM)) (/mM) {
    : 1/logmean(a, b) = ln(b/a)/(b - a), continuous at b = a; arguments already floored > 0
    LOCAL r
    r = b/a - 1
    if (fabs(r) < 1e-2) {
        : ln(1 + r)/r to r^7: truncation below r^8/9 < 1.2e-17 (no log in the quiet regime)
        ilm = (1 - r*(0.5 - r*(1/3 - r*(0.25 - r*(0.2 - r*(1/6 - r*(1/7 - r/8)))))))/a
    } else {
        ilm = log(1 + r)/(a*r)
    }
}

PROCEDURE neck2() {
    : mode 2: conductance and diffusion potential of the neck from the salt profile (the
    : exact logarithmic mean of c over each cell); called whenever the profile changed
    LOCAL a0, a1, a2, a3, a4
    a0 = conc
    a1 = c1
    a2 = c2
    a3 = c3
    a4 = ch
    if (a1 < cmin) { a1 = cmin }
    if (a2 < cmin) { a2 = cmin }
    if (a3 < cmin) { a3 = cmin }
    if (a4 < cmin) { a4 = cmin }
    gdyn = gcoef/(ilm(a0, a1) + ilm(a1, a2) + ilm(a2, a3) + ilm(a3, a4))
    ediff = -vt*(diff - diff_anion)/(diff + diff_anion)*log(a4/a0)
}

PROCEDURE rates(vh (mV)) {
    : HH Na ring kinetics of spinepnp/channels.py (summary eq 13, corrected); the voltage
    : is clipped to +-500 mV only to keep the rates finite for a saturated head
    LOCAL vv, x, am, bm, ahh, bh
    vv = vh
    if (vv > 500) { vv = 500 }
    if (vv < -500) { vv = -500 }
    UNITSOFF
    x = 0.1*(vv + 40)
    if (fabs(x) < 1e-6) {
        am = 1 + 0.5*x
    } else {
        am = x/(1 - exp(-x))
    }
    bm = 4*exp(-0.0556*(vv + 65))
    ahh = ah0*exp(-0.05*(vv + 65))
    bh = 1/(1 + exp(-0.1*(vv + 35)))
    minf = am/(am + bm)
    mtau = 1/(am + bm)
    hinf = ahh/(ahh + bh)
    htau = 1/(ahh + bh)
    UNITSON
}

PROCEDURE spine(full, vnow (mV)) {
    : The head solve of every evaluation (see COMMENT, "Solving (1)"). Fast path, for a
    : linear head (no NMDA conductance, no Boltzmann ring, no neck ring): F is linear in x
    : in modes 0 and 2 (one step solves it); in mode 1 F is increasing and convex and
    : Newton runs from the anchor (kxw, kww = exp(kxw/VT), the last point where the law
    : was evaluated): a step whose error (dx)^2/(2 VT) is below the tolerance is final
    : without a further evaluation (the quiet regime between inputs needs no exp at all).
    : Large steps (over 5 mV or towards exp overflow) and anything else go to the full
    : solve (headsolve). Short on purpose: this is the code a thousand spines run every
    : step.
    LOCAL md, ga, gl, gh, i0, gs, x, w, iv, div, dfv, rdf, dx, xn, done, k, go, t
    md = mode
    done = 0
    if (Bn == An && gbz_head == 0 && gna_neck == 0 && gbz_neck == 0 && (md != 1 || kww > 0)) {
        ga = B - A
        gl = gleak + gfloor
        gh = gl + ga
        i0 = iinj + gl*eleak + ga*e_ampa
        if (gna_head > 0) {
            gs = gna_head*m*m*m*h
            gh = gh + gs
            i0 = i0 + gs*ena
        }
        x = kxw
        w = kww
        k = 0
        go = 1
        while (go == 1) {
            go = 0
            if (md == 1) {
                iv = isat*(w - 1)
                div = isv*w
            } else if (md == 0) {
                iv = x/r0
                div = 1/r0
            } else {
                iv = (x - ediff)*gdyn
                div = gdyn
            }
            dfv = div + gh
            if (dfv > 0) {
                rdf = 1/dfv
                dx = -(iv + gh*(vnow + x) - i0)*rdf
                : final if (dx)^2/(2 VT) < 1e-10 mV
                if (md != 1 || dx*dx < 2e-10 (mV)*vt) {
                    done = 1
                } else if (k < 5 && fabs(dx/(1 (mV))) < 5 && x + dx < 40*vt) {
                    : a further Newton step (F convex: from the second step on the
                    : iterates decrease monotonically to the root). The anchor moves to
                    : x + dx: w = exp((x + dx)/VT) from w by a Taylor series of exp(t),
                    : t = dx/VT, for |t| < 2e-3 (degree 4: truncation < 3e-16, an ulp),
                    : at most 512 times in a row (rounding drift < 3e-13); else exp()
                    t = dx/vt
                    if (fabs(t) < 2e-3 && nw < 512) {
                        w = w*(1 + t*(1 + t*(0.5 + t*(1/6 + t/24))))
                        nw = nw + 1
                    } else {
                        w = exp((x + dx)/vt)
                        nw = 0
                    }
                    x = x + dx
                    kxw = x
                    kww = w
                    niter = niter + 1
                    k = k + 1
                    go = 1
                }
            }
        }
    }
    if (done == 1) {
        xn = x + dx
        ineck = iv + div*dx
        gtot = div*gh*rdf
        if (md != 1) {
            kxw = xn
            kww = 0
        }
        : (niter counts the evaluations beyond this exp-free first one; gnmda is 0 here
        : and was zeroed when the NMDA states came to rest: memory traffic is the cost)
        if (full == 1) {
            vhead = vnow + xn
            vring = vnow
            gampa = ga
            : PROCEDURE outputs, written out: GCC keeps it a call, and the call costs 4 %
            : of the spine's instructions per step (callgrind, bench_spine's model)
            if (fabs(ineck/(1 (nA))) > 1e-12) {
                reff = xn/ineck
            } else {
                reff = 1/div
            }
            if (md == 1) {
                chead = cis*(isat + ineck)
            } else if (md == 0) {
                chead = conc
            } else {
                chead = ch
            }
        }
    } else {
        headsolve(full, vnow)
    }
}

PROCEDURE outputs(x (mV), div (uS)) {
    : reff and chead from the solution x = vhead - v and the neck slope div
    if (fabs(ineck/(1 (nA))) > 1e-12) {
        reff = x/ineck
    } else {
        reff = 1/div
    }
    if (mode == 2) {
        chead = ch
    } else if (mode == 1) {
        chead = cis*(isat + ineck)
    } else {
        chead = conc
    }
}

PROCEDURE headsolve(full, vnow (mV)) {
    : Full solve of F(x) = ineck(x) - ihead(vnow + x) = 0 for x = vhead - vnow (see
    : COMMENT); sets ineck, gtot, the anchor (kxw, kww) and, if full = 1, the recorded
    : outputs vhead, vring, reff, chead, gampa, gnmda. Every field is read once into a
    : LOCAL, and only when the feature using it is on.
    LOCAL gsn, gbn, vv, md, x, xn, lo, hi, blo, bhi, cap, k, done, tol, xup, arg, ii, gl,
          el, ga, ea, gn, en, kmg, gs, es, gb, eb, vhb, sb, is, vtt, rr, ed, vh, u, e, bl,
          db, ex, fv, dfv, iv, div, ihv, ghv, e50, xw, ww
    done = 0
    vv = vnow
    md = mode
    ga = B - A
    gn = Bn - An
    ii = iinj
    gl = gleak + gfloor
    el = eleak
    ea = 0
    en = 0
    kmg = 0
    gs = 0
    es = 0
    gsn = 0
    eb = 0
    vhb = 0
    sb = 1 (mV)
    is = 1 (nA)
    vtt = 1 (mV)
    e50 = 1
    rr = 1 (MOhm)
    ed = 0
    xw = 0
    ww = 0
    if (ga != 0) {
        ea = e_ampa
    }
    if (gn != 0) {
        en = e_nmda
        kmg = mg/(3.57 (mM))
    }
    if (gna_head > 0) {
        gs = gna_head*m*m*m*h
        es = ena
    }
    if (gna_neck > 0) {
        gsn = gna_neck*mn*mn*mn*hn
        es = ena
    }
    gb = gbz_head
    gbn = gbz_neck
    if (gb > 0 || gbn > 0) {
        eb = ebz
        vhb = vhalf_bz
        sb = slope_bz
    }
    if (md == 1) {
        is = isat
        vtt = vt
        e50 = exp(50)
        xw = kxw
        ww = kww
    } else if (md == 0) {
        rr = r0
    } else {
        rr = 1/gdyn
        ed = ediff
    }
    if ((gsn > 0 || gbn > 0) && md != 2) {
        ringsolve(vv, ga, gn, ii, gl, gs, gb, gsn, gbn)
    } else {
        : start at the last solution (mode 1: the anchor, whose exp is known if kww > 0)
        x = kxw
        blo = 0
        bhi = 0
        cap = 20 (mV)
        k = 0
        while (done == 0) {
            : evaluate F and F' at x: neck current iv and its slope div, head current into
            : the head ihv and its slope conductance ghv = -d ihv / d vhead
            vh = vv + x
            if (md == 1) {
                u = x/vtt
                if (u > 50) {
                    iv = is*(e50*(1 + u - 50) - 1)
                    div = is*e50/vtt
                } else {
                    if (x == xw && ww > 0) {
                        e = ww
                    } else {
                        e = exp(u)
                        xw = x
                        ww = e
                    }
                    iv = is*(e - 1)
                    div = is*e/vtt
                }
            } else {
                iv = (x - ed)/rr
                div = 1/rr
            }
            ihv = ii - gl*(vh - el) - ga*(vh - ea) - gs*(vh - es)
            ghv = gl + ga + gs
            if (gn > 0) {
                ex = -0.062 (/mV) * vh
                if (ex > 700) { ex = 700 }
                bl = 1/(1 + kmg*exp(ex))
                db = 0.062 (/mV) * bl*(1 - bl)
                ihv = ihv - gn*bl*(vh - en)
                ghv = ghv + gn*(bl + db*(vh - en))
            }
            if (gb > 0) {
                ex = -(vh - vhb)/sb
                if (ex > 700) { ex = 700 }
                bl = 1/(1 + exp(ex))
                db = bl*(1 - bl)/sb
                ihv = ihv - gb*bl*(vh - eb)
                ghv = ghv + gb*(bl + db*(vh - eb))
            }
            fv = iv - ihv
            dfv = div + ghv
            k = k + 1
            if (fv == 0 || k >= 200) {
                done = 1
            } else {
                if (fv < 0) {
                    lo = x
                    blo = 1
                } else {
                    hi = x
                    bhi = 1
                }
                if (blo == 1 && bhi == 1) {
                    : bracketed: Newton safeguarded by bisection
                    xn = lo - 1 (mV)
                    if (dfv > 0) {
                        xn = x - fv/dfv
                    }
                    if (xn <= lo || xn >= hi) {
                        xn = 0.5*(lo + hi)
                    }
                } else {
                    : walking towards the root in the direction -F
                    if (dfv > 0) {
                        xn = x - fv/dfv
                    } else if (fv < 0) {
                        xn = x + cap
                    } else {
                        xn = x - cap
                    }
                    if (md == 1 && fv < 0 && xn - x > 1 (mV)) {
                        : upper bound of the root if ihead decreases with vhead (a
                        : guard against large overshoots only: smaller Newton steps
                        : from the left overshoot by < (xn - x)^2/(2 VT))
                        arg = 1 + ihv/is
                        if (arg > 0) {
                            xup = vtt*log(arg)
                            if (xup > x && xn > xup) {
                                xn = xup
                            }
                        }
                    }
                    if (xn - x > cap) {
                        xn = x + cap
                        cap = 2*cap
                    } else if (x - xn > cap) {
                        xn = x - cap
                        cap = 2*cap
                    }
                }
                tol = 1e-10 (mV) + 1e-13*fabs(x/(1 (mV)))*(1 (mV))
                if (fabs((xn - x)/(1 (mV))) < tol/(1 (mV))) {
                    done = 1
                } else if (dfv > 0 && xn == x - fv/dfv && gn == 0 && gb == 0
                           && (md != 1 || (xn - x)*(xn - x) < 2*vtt*tol)) {
                    : a plain Newton step that is final: F is linear (modes 0, 2 with a
                    : linear head) or its curvature, at most F'/VT in mode 1, leaves an
                    : error (xn - x)^2/(2 VT) below tol. Accept it without evaluating.
                    iv = iv + div*(xn - x)
                    x = xn
                    done = 1
                } else {
                    x = xn
                }
            }
        }
        niter = niter + k
        ineck = iv
        if (md == 1 && ww > 0) {
            kxw = xw
            kww = ww
            nw = 0
        } else {
            kxw = x
            kww = 0
        }
        if (dfv > 0) {
            gtot = div*ghv/dfv
        } else {
            : at a fold of the head balance: no finite series conductance
            gtot = div
        }
        if (full == 1) {
            vhead = vv + x
            vring = vv
            gampa = ga
            gnmda = gn
            outputs(x, div)
        }
    }
}

PROCEDURE ringsolve(vv (mV), ga (uS), gn (uS), ii (nA), gl (uS), gs (uS), gb (uS),
                    gsn (uS), gbn (uS)) {
    : Head balance with a ring of channels part-way along the neck (modes 0 and 1).
    : The steady neck is linear in w = exp((V - v)/VT) (mode 1) or in V (mode 0):
    : segment a (dendrite to ring) carries ia*(wr - 1), segment b (ring to head)
    : ib*(wh - wr). Unknowns xr = vring - v (outer) and xh = vhead - v (inner, the head
    : balance at fixed xr, as in headsolve); both by the walking/bracketed Newton.
    LOCAL md, vtt, e50, el, ea, en, kmg, es, eb, vhb, sb, ia, ib, rsa, rsb, xr, xrn, lo,
          hi, blo, bhi, cap, k, done, tol, xh, xhn, lo2, hi2, blo2, bhi2, cap2, k2, done2,
          u, wr, dwr, wh, dwh, ian, dia, pp, dpp, qq, dqq, vh, vr, ihv, ghv, irv, grv, bl,
          db, ex, f1, df1, g, dg, arg, xup, sh, tt
    md = mode
    vtt = vt
    e50 = exp(50)
    el = eleak
    ea = e_ampa
    en = e_nmda
    kmg = mg/(3.57 (mM))
    es = ena
    eb = ebz
    vhb = vhalf_bz
    sb = slope_bz
    ia = isat/fring
    ib = isat/(1 - fring)
    rsa = r0*fring
    rsb = r0*(1 - fring)
    : warm start: the ring node's last offset from the dendrite
    xr = vring - vv
    xh = kxw
    blo = 0
    bhi = 0
    cap = 20 (mV)
    k = 0
    done = 0
    while (done == 0) {
        : ring node: neck segments and ring currents at xr
        vr = vv + xr
        if (md == 1) {
            u = xr/vtt
            if (u > 50) {
                wr = e50*(1 + u - 50)
                dwr = e50/vtt
            } else {
                wr = exp(u)
                dwr = wr/vtt
            }
            ian = ia*(wr - 1)
            dia = ia*dwr
            qq = ib*wr
            dqq = ib*dwr
        } else {
            ian = xr/rsa
            dia = 1/rsa
            qq = xr/rsb
            dqq = 1/rsb
        }
        irv = -gsn*(vr - es)
        grv = gsn
        if (gbn > 0) {
            ex = -(vr - vhb)/sb
            if (ex > 700) { ex = 700 }
            bl = 1/(1 + exp(ex))
            db = bl*(1 - bl)/sb
            irv = irv - gbn*bl*(vr - eb)
            grv = grv + gbn*(bl + db*(vr - eb))
        }
        : inner: head balance pp(xh) - qq = ihead(v + xh)
        blo2 = 0
        bhi2 = 0
        cap2 = 20 (mV)
        k2 = 0
        done2 = 0
        while (done2 == 0) {
            vh = vv + xh
            if (md == 1) {
                u = xh/vtt
                if (u > 50) {
                    wh = e50*(1 + u - 50)
                    dwh = e50/vtt
                } else {
                    wh = exp(u)
                    dwh = wh/vtt
                }
                pp = ib*wh
                dpp = ib*dwh
            } else {
                pp = xh/rsb
                dpp = 1/rsb
            }
            ihv = ii - gl*(vh - el) - ga*(vh - ea) - gs*(vh - es)
            ghv = gl + ga + gs
            if (gn > 0) {
                ex = -0.062 (/mV) * vh
                if (ex > 700) { ex = 700 }
                bl = 1/(1 + kmg*exp(ex))
                db = 0.062 (/mV) * bl*(1 - bl)
                ihv = ihv - gn*bl*(vh - en)
                ghv = ghv + gn*(bl + db*(vh - en))
            }
            if (gb > 0) {
                ex = -(vh - vhb)/sb
                if (ex > 700) { ex = 700 }
                bl = 1/(1 + exp(ex))
                db = bl*(1 - bl)/sb
                ihv = ihv - gb*bl*(vh - eb)
                ghv = ghv + gb*(bl + db*(vh - eb))
            }
            f1 = pp - qq - ihv
            df1 = dpp + ghv
            k2 = k2 + 1
            if (f1 == 0 || k2 >= 200) {
                done2 = 1
            } else {
                if (f1 < 0) {
                    lo2 = xh
                    blo2 = 1
                } else {
                    hi2 = xh
                    bhi2 = 1
                }
                if (blo2 == 1 && bhi2 == 1) {
                    xhn = lo2 - 1 (mV)
                    if (df1 > 0) {
                        xhn = xh - f1/df1
                    }
                    if (xhn <= lo2 || xhn >= hi2) {
                        xhn = 0.5*(lo2 + hi2)
                    }
                } else {
                    if (df1 > 0) {
                        xhn = xh - f1/df1
                    } else if (f1 < 0) {
                        xhn = xh + cap2
                    } else {
                        xhn = xh - cap2
                    }
                    if (md == 1 && f1 < 0) {
                        arg = (qq + ihv)/ib
                        if (arg > 0) {
                            xup = vtt*log(arg)
                            if (xup > xh && xhn > xup) {
                                xhn = xup
                            }
                        }
                    }
                    if (xhn - xh > cap2) {
                        xhn = xh + cap2
                        cap2 = 2*cap2
                    } else if (xh - xhn > cap2) {
                        xhn = xh - cap2
                        cap2 = 2*cap2
                    }
                }
                tol = 1e-10 (mV) + 1e-13*fabs(xh/(1 (mV)))*(1 (mV))
                if (fabs((xhn - xh)/(1 (mV))) < tol/(1 (mV))) {
                    done2 = 1
                } else {
                    xh = xhn
                }
            }
        }
        niter = niter + k2
        : outer: current balance at the ring node
        g = ian - (pp - qq) - irv
        if (dpp + ghv > 0) {
            dg = dia + dqq*ghv/(dpp + ghv) + grv
        } else {
            dg = dia + dqq + grv
        }
        k = k + 1
        if (g == 0 || k >= 200) {
            done = 1
        } else {
            if (g < 0) {
                lo = xr
                blo = 1
            } else {
                hi = xr
                bhi = 1
            }
            if (blo == 1 && bhi == 1) {
                xrn = lo - 1 (mV)
                if (dg > 0) {
                    xrn = xr - g/dg
                }
                if (xrn <= lo || xrn >= hi) {
                    xrn = 0.5*(lo + hi)
                }
            } else {
                if (dg > 0) {
                    xrn = xr - g/dg
                } else if (g < 0) {
                    xrn = xr + cap
                } else {
                    xrn = xr - cap
                }
                if (xrn - xr > cap) {
                    xrn = xr + cap
                    cap = 2*cap
                } else if (xr - xrn > cap) {
                    xrn = xr - cap
                    cap = 2*cap
                }
            }
            tol = 1e-10 (mV) + 1e-13*fabs(xr/(1 (mV)))*(1 (mV))
            if (fabs((xrn - xr)/(1 (mV))) < tol/(1 (mV))) {
                done = 1
            } else {
                xr = xrn
            }
        }
    }
    kxw = xh
    kww = 0
    vhead = vv + xh
    vring = vv + xr
    ineck = ian
    gampa = ga
    gnmda = gn
    : di/dv of the chain dendrite -a- ring(grv) -b- head(ghv), all slopes in x
    if (dpp + ghv > 0) {
        sh = dpp*ghv/(dpp + ghv)
        tt = dqq*ghv/(dpp + ghv)
    } else {
        sh = dpp
        tt = dqq
    }
    if (dia + grv + tt > 0) {
        gtot = dia*(grv + sh)/(dia + grv + tt)
    } else {
        gtot = dia
    }
    if (fabs(ian/(1 (nA))) > 1e-12) {
        reff = xh/ian
    } else {
        reff = 1/dia + 1/dqq
    }
    if (md == 1) {
        chead = conc*wh
    } else {
        chead = conc
    }
}
