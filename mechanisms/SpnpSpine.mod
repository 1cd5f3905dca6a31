TITLE SpnpSpine: a whole spine (electro-diffusive neck, synapses, rings) as one point process

COMMENT
A spine as ONE point process placed in a dendrite segment: an electro-diffusive neck, a
head with synapses and channel rings, and the neck's own ring of channels.

Physics. The spine head is an internal node in quasi-static balance: at every
evaluation the head voltage vhead solves

    ineck(vhead - v) = ihead(vhead)                                          (1)

where v is the dendrite's membrane potential at the segment, ineck the current through
the neck from the head to the dendrite and ihead the sum of the membrane currents into
the head. Assumptions: the head capacitance is dropped (its charging time R0 C_head is
~1 us, far below any dt; the head error this causes is ~ R0 C_head dvhead/dt); the neck
is electroneutral and carries a binary salt of concentration conc at the dendrite end
(the neck's own membrane currents are neglected, except a neck ring); the head is well
mixed. The current handed to the dendrite is a function of v given the mechanism's
states, and its derivative gtot (the series combination of neck and head slope
conductances, supplied analytically through CONDUCTANCE) makes the coupling implicit:
fixed step, CVODE, threads and CoreNEURON treat the spine like a synapse.
Sign convention: NEURON point-process currents are outward positive (leaving the
dendrite). The neck current enters the dendrite, so i = -ineck: a depolarising spine
shows a negative i.
Neck laws (neck_laws.inc; x = vhead - v, VT = k T/e from NEURON's celsius, C = conc,
D = diff):
  mode = 0  Ohmic: ineck = x/r0. r0 = rneck if rneck > 0, else ra*gamma if ra > 0, else
            the Ohmic limit of the PNP law VT/isat (then mode 0 differs from mode 1 only
            by the nonlinearity).
  mode = 1  steady electroneutral PNP law (the electro-diffusion I-V paper, eq 5-7 and
            15-18, generalised to any profile; its errata as in spinepnp/laws.py):
            ineck = isat (exp(x/VT) - 1), isat = 2 C D F/gamma, gamma = integral dx/S(x)
            over the neck [1/um] (set gamma for a hyperboloid or any profile; 0 means a
            cylinder neck_len x neck_diam). For x/VT > 50 the exponential is continued
            linearly (C1, still convex) so nothing overflows.
  mode = 2  dynamic electroneutral neck for a binary salt (carrier cation D = diff, anion
            D- = diff_anion). With c(x, t) the salt concentration:
              ineck = (x - ediff)/rdyn,  rdyn = VT/(F (D + D-)) integral dgamma/c,
              ediff = -VT (D - D-)/(D + D-) ln(chead/conc),
            and c obeys ambipolar diffusion, D_a = 2 D D-/(D + D-), along the neck
            (4 cells of equal gamma, c1 c2 c3, c = conc at the dendrite; with a
            neck ring the middle node is on the ring, see "Neck ring") into a
            well-mixed head of volume pi head_diam^3/6 (state ch) fed by t- ineck/F,
            t- = D-/(D + D-). The resistance integral uses the exact logarithmic mean of
            c over each cell, so the steady state (c linear in gamma) is exactly mode 1:
            chead/conc = 1 + ineck/isat = exp(x/VT). Right after a change the neck is the
            bulk electrolyte, rdyn = r0 2 D/(D + D-) (0.79 r0 for NaCl): the anions still
            carry current; they stop as they reach their Boltzmann profile, on the time
            scale V_head L/(D_a S) (ms). Concentrations are floored at cmin for the
            conductance; a head emptied of salt (chead -> 0) is the physical limit of the
            model: watch chead. The neck volume is neck_vol (0: the cylinder's).
            The states are ch and cmode1..3, the neck's deviation from the straight
            profile between conc and ch in the three-cell chain's sine modes
            (neck_salt.inc): the same law in variables whose coupling is nearly
            diagonal, so CVODE (which uses only the diagonal of the Jacobian) takes
            about as many steps as in mode 1; c1 c2 c3 are outputs.
  Segment law (a neck ring splits the neck): a segment of gamma_seg carries
  isat_seg (w_a - w_b), isat_seg = 2 C D F/gamma_seg, w = exp(V/VT) at its ends relative
  to the dendrite (already a current: no further factor VT).
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
Neck ring: gna_neck (HH Na, states mn hn) and gbz_neck (Boltzmann, same kinetic
  parameters as the head's) at ring_pos (fraction of neck_len; ring_gamma, the integral
  dx/S from the dendrite to the ring, for non-cylindrical necks). The steady neck is
  linear in w = exp((V - v)/VT): segment a (dendrite-ring) carries isat_a (w_ring - 1),
  segment b (ring-head) isat_b (w_head - w_ring), isat_a,b = 2 C D F/gamma_a,b (mode 0:
  resistances r0 gamma_a,b/gamma), so the ring node is solved exactly (vring output).
  The drop-in spine delivers segment a's current.
  Mode 2: with a neck ring at finitialize (conductance > 0), the neck's middle node c2
  sits on the ring: cells of gamma fring/2, fring/2 on the dendrite side and (1 -
  fring)/2, (1 - fring)/2 on the head side (volumes in proportion to gamma, as for the
  equal cells). Each segment is a conductor with its own diffusion potential (the
  formulas above over its cells); the ring node is solved as in modes 0 and 1. The
  ring's inward current irn feeds node c2 with t- irn/F and the head gets t- (ineck -
  irn)/F (the anions' share of the current that leaves each node through the neck).
  The steady state is exactly mode 1's two-segment network (c linear in gamma on each
  side of the ring). A neck ring switched on during a mode 2 run that had none at
  finitialize is ignored until the next finitialize (the grid is set there).
Solving (1) (head_solver.inc, the one solver of the head balance): F(x) = ineck(x) -
  ihead(v + x) is increasing and convex with passive head currents; NMDA and Boltzmann
  rings can make it non-monotone with several roots. Newton from the previous solution
  (warm start); while F keeps its sign the walk goes in the direction -F (where the
  dropped head capacitance would carry vhead) with capped, doubling steps; once the sign
  changes the root is bracketed and Newton is safeguarded by bisection. So the physical
  branch is followed continuously and left only at a fold (hysteresis). Tolerance 1e-10
  mV; a Newton step is final without a further evaluation when the error bound from the
  laws' curvature bounds (neck_law, head_law) is below it (one evaluation for a linear
  F). After 200 evaluations it stops and raises validity flag 1. With a neck ring the ring
  node is the outer unknown (the same safeguarded Newton) and the head balance the inner
  one.
When it runs: in BREAKPOINT (the node's v passed explicitly) and, if refresh = 1, again
  at the end of the state update, so that a recorded vhead belongs to the recorded v
  (refresh = 0: solved in BREAKPOINT only, outputs included; they lag v by one step, like
  NEURON's currents). Parameters are read at every solve, except geometry, mode, conc,
  diff, diff_anion, rneck, ra, ring_pos, ring_gamma, the synaptic time constants and
  celsius, which are read at INITIAL; other parameters changed from hoc or Python between
  fixed steps take effect at that step's refresh (within one dt).
Outputs: vhead (mV), vring (mV, with a neck ring; otherwise v), ineck (nA), reff (MOhm,
  (vhead - v)/ineck; the slope value at ineck = 0), chead (mM: the mode 2 head state; in
  mode 1 its steady value conc (1 + ineck/isat); conc in mode 0), r0 (MOhm, Ohmic limit
  in use), isat (nA, saturation current: an outward current larger than isat cannot be
  drawn through the neck), vt (mV), gampa, gnmda (uS), gtot (uS, the di/dv handed to
  NEURON), niter (evaluations of (1) so far by the head solver or with exp(), a cost
  counter: the fast path's exp-free first Newton step is not counted), c1 c2 c3 (mM,
  mode 2: the neck cells' salt), and, as FUNCTIONs (for tests), the ring's rates alpha_m, beta_m, alpha_h, beta_h (/ms) at a given voltage.
Refused parameters and validity (spine_checks.inc, spine_validity.inc): at finitialize
  a spine whose parameters leave the model's domain (non-positive lengths, diameters,
  concentrations or diffusion coefficients, mode not 0, 1 or 2, a neck ring at an end,
  negative resistances, gamma or conductances, non-positive time constants, any value
  not finite) sets badparam to the rule's code, prints one line and delivers no current.
  While running, invalid collects flags (1 solver did not converge, 2 mode-1 neck current
  at saturation, 4 mode-2 salt at its floor, 8 |vhead| > 1000 mV) from tinvalid on.
  The code tables are spinepnp.validity.BADPARAM and INVALID.
Shared code (INCLUDEd): head_solver.inc (the head balance's solver), neck_laws.inc (the
  neck laws), hh_rates.inc (HH Na rates, with SpnpRing and SpnpRHH), boltzmann.inc
  (Boltzmann activation, with SpnpRing), mg_block.inc (NMDA Mg block); its own:
  neck_salt.inc (the mode 2 neck's states, cells, conductance and diffusion potential).
Sources: the electro-diffusion I-V paper (eq 5-7, 14-18), P. Latham's biophysics summary
  (eq 13), Jahr & Stevens, J Neurosci 10:3178 (1990).

Speed (what each trick buys: python -m spinepnp.bench.spine --repeat 7, median ratio
  with the trick removed, 2026-12-01/02, shared 2-core VM):
- Mode 1 fast path (PROCEDURE spine, the fast configuration with no NMDA conductance):
  Newton from the anchor (x_anchor, w_anchor = exp(x_anchor/VT), the last point where
  the law was evaluated with exp()); a first step whose error (dx)^2/(2 VT) is below the
  tolerance is final with no exp() (the quiet regime between inputs); otherwise a few
  steps moving w by a Taylor series of exp; large steps go to head_solver.inc. Without
  it: mode 1 0.99x -> 2.52x Exp2Syn. Within it, exp() instead of the Taylor moves:
  0.50x -> 0.61x explicit; outputs() called instead of written out: 0.50x -> 0.58x.
- Mode 2 one-step solve (PROCEDURE spine2, the fast configuration in mode 2 with no
  NMDA conductance: F is linear). Without it: mode 2 0.83x -> 1.42x explicit.
- Reuse of the refresh: the fixed-step state update comes half a step after its
  current evaluation (NEURON and CoreNEURON advance t by dt/2 twice per step); its
  refresh stamps t_refresh, and the next evaluation, half a step later, reuses that
  solution if v and iinj are unchanged and no event arrived (NET_RECEIVE clears
  t_refresh): one solve per step. Both are recognised by their distance in time
  (between dt/4 and 3 dt/4), not by equality of time stamps; under CVODE the state
  functions run at the time of their evaluation, so nothing is reused. Without it
  (every evaluation solving): mode 1 1.07x -> 1.31x Exp2Syn, mode 2 0.86x -> 1.21x
  explicit.
- Synaptic decay under fixed step by cached factors exp(-dt/tau), written as the rate
  (exp(-dt/tau1) - 1)/dt so that cnexp's update X + dt rate X is that decay (no exp()
  per step; the factors follow dt changes); under CVODE the plain -X/tau. A synaptic
  state below 1e-290 uS is set to exactly 0: decaying further it would become a
  subnormal number that never reaches 0 and costs a microcode assist in every operation
  on it (Exp2Syn's A sits there 44 % of the time at 5 Hz input).
- Unused states cost nothing: the NMDA states, the ring states (m h, mn hn) and the mode
  2 neck states are integrated only while in use (NMDA: from an event with an NMDA
  weight until both are exactly 0); with none in use the DERIVATIVE block touches only
  the AMPA states, except in one evaluation after finitialize and after the last is
  switched off (state_path), which writes zero derivatives so that CVODE never
  integrates a stale one.
- The fast configurations: a spine in mode 0, 1 or 2 with all four ring conductances 0
  at finitialize runs this whole run without rings (cfg = 0, 1 or 3): its per-step code reads
  no ring or mode parameter (on a thousand spines memory traffic is the cost). In mode
  2 the neck current at the new v for the head's salt flux is then the last solution
  moved along its exact (linear) slope. A ring switched on during such a run is ignored
  until the next finitialize; to switch a ring on and off during a run, give it a
  conductance > 0 at finitialize (1e-12 uS will do).
- Mode 2 neck under fixed step (without a neck ring): each cell relaxes exponentially,
  by cached factors exp(-2 kc dt) and exp(-kh dt) (no exp() per step), towards its
  neighbours' values, in red-black order: c1 and c3 from the values at the step's start,
  then c2 and ch from the new c1 and c3. That is cnexp's exponential update in another
  Gauss-Seidel order (unconditionally stable, positive, first order; against CVODE its
  error equals that of cnexp's c1 c2 c3 ch order to 0.1 % in tests/test_spine_dynamics),
  with a dependency chain of two cells instead of four. The cells are computed from the
  states and the new states from the new cells (an exact change of basis). With a neck
  ring (ring node grid): cnexp's exponential update in the order c1 c2 c3 ch, exp() per
  step. Under CVODE the states' ODEs (neck_salt.inc) are integrated as they are. The
  mode 2 neck conductance and diffusion potential (neck2,
  neck2r with a neck ring) are recomputed after each state update and in every
  BREAKPOINT that solves.
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
    RANGE badparam, invalid, tinvalid, c1, c2, c3
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
    gna_neck = 0    (uS)      <0, 1e9>     : HH Na ring on the neck
    gbz_neck = 0    (uS)      <0, 1e9>     : Boltzmann ring on the neck
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
    badparam (1)
    invalid (1)
    tinvalid (ms)
    factor_ampa (1)
    factor_nmda (1)
    kc (/ms)
    kh (/ms)
    nw (1)
    fan (/ms)
    fbn (/ms)
    cfg (1)
    t_refresh (ms)
    t_current (ms)
    v_refresh (mV)
    iinj_refresh (nA)
    state_path (1)
    decay_a (/ms)
    decay_b (/ms)
    x_anchor (mV)
    w_anchor (1)
    gsat (uS)
    conc_per_isat (mM/nA)
    dt_decay (ms)
    decay_neck (/ms)
    decay_head (/ms)
    salt_per_current (mM/nA)
    ediff_per_log (mV)
    gneck_per_conc (uS/mM)
    sum_ilm (/mM)
    ediff (mV)
    v_linear (mV)
    ring_frac (1)
    c1 (mM)
    c2 (mM)
    c3 (mM)
    head_to_ring (1)
    ring_x (mV)
    ring_w (1)
    ring_isat_b (nA)
    ring_g_b (uS)
    ring_ediff_b (mV)
    ring_current (nA)
    ring_slope (uS)
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
    cmode1 (mM)
    cmode2 (mM)
    cmode3 (mM)
    ch (mM)
}

INCLUDE "spine_checks.inc"
INCLUDE "spine_validity.inc"
INCLUDE "neck_salt.inc"

INITIAL {
    LOCAL tp, k, am, bm, ah, bh, vg
    : a spine with a parameter outside the model's domain is refused (spine_checks.inc)
    invalid = 0
    tinvalid = -1
    check_parameters()
    if (badparam != 0) {
        refuse()
    } else {
        setup()
        : the fast configurations (cfg = 0 in mode 0, 1 in mode 1, 3 in mode 2): no ring at
        : finitialize; rings switched on during such a run are ignored until the next
        : finitialize (see COMMENT). cfg = 2: every other configuration, ring conductances
        : read live.
        cfg = 2
        if (gna_head == 0 && gna_neck == 0 && gbz_head == 0 && gbz_neck == 0) {
            if (mode == 0) {
                cfg = 0
            } else if (mode == 1) {
                cfg = 1
            } else if (mode == 2) {
                cfg = 3
            }
        }
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
        t_refresh = -1e300
        t_current = -1e300
        v_refresh = 0
        iinj_refresh = 0
        state_path = 1
        x_anchor = 0
        w_anchor = 1
        v_linear = -1e300
        : mode 2 with a neck ring: the neck's middle node on the ring (see COMMENT)
        ring_frac = 0
        if (mode == 2 && (gna_neck > 0 || gbz_neck > 0)) {
            ring_frac = fring()
        }
        nw = 0
        head_to_ring = 0
        ch = conc
        c1 = conc
        c2 = conc
        c3 = conc
        cmode1 = 0
        cmode2 = 0
        cmode3 = 0
        vhead = v
        vring = v
        dt_decay = -1
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
                if (ring_frac > 0) {
                    : c linear in gamma on each side of the ring node, c(ring) = conc w_ring
                    c2 = conc*exp((vring - v)/vt)
                    c1 = 0.5*(conc + c2)
                    c3 = 0.5*(c2 + chead)
                } else {
                    c1 = conc + 0.25*(chead - conc)
                    c2 = conc + 0.5*(chead - conc)
                    c3 = conc + 0.75*(chead - conc)
                }
                ch = chead
                neck_modes_from_cells()
                necks()
            }
            spine(1, v)
            : the rings' gates at their steady states m_inf = a_m/(a_m + b_m) etc.
            vg = clip(vhead)
            am = alpha_m(vg)
            bm = beta_m(vg)
            ah = alpha_h(vg)
            bh = beta_h(vg)
            m = am/(am + bm)
            h = ah/(ah + bh)
            vg = clip(vring)
            am = alpha_m(vg)
            bm = beta_m(vg)
            ah = alpha_h(vg)
            bh = beta_h(vg)
            mn = am/(am + bm)
            hn = ah/(ah + bh)
        }
        spine(1, v)
        check_validity()
    }
}

BREAKPOINT {
    LOCAL since_refresh
    SOLVE states METHOD cnexp
    : v passed explicitly: with CONDUCTANCE, nocmodl's nrn_cur hands the BREAKPOINT the
    : node voltage but does not update the copy a PROCEDURE would read.
    : The solution of the fixed-step refresh (stamped t_refresh, see COMMENT "When it
    : runs") is reused by the evaluation half a step later if v and iinj are unchanged
    : and no event arrived (NET_RECEIVE clears t_refresh); otherwise the head is solved
    : here, with the outputs if refresh = 0. Every evaluation stamps t_current.
    since_refresh = t - t_refresh
    if (since_refresh < 0.25*dt || since_refresh > 0.75*dt || v != v_refresh
        || iinj != iinj_refresh) {
        if (state_path != 3) {
            : (3: a refused spine, which never solves: its ineck and gtot stay 0)
            t_refresh = -1e300
            if (mode == 2) {
                necks()
            }
            spine(1 - refresh, v)
        }
    }
    t_current = t
    i = -ineck
    CONDUCTANCE gtot
}

DERIVATIVE states {
    LOCAL path, busy, ka, kbb, rna, rnn, am, bm, ah, bh, fx, ra1, ra2, ceq, inw, ra3, ra4,
          fr, wa, wb, irn, q, vg, since_current
    : (the derivatives use LOCALs only: CoreNEURON's NMODL cannot parse units in them)
    : fx = 1: the fixed step's state update, half a step after the last current evaluation
    : (t_current); the decay factors for dt are then used. Under CVODE the state functions
    : are evaluated at the time of their current evaluation (t = t_current): fx = 0, the
    : plain derivatives (see COMMENT, "When it runs").
    fx = 0
    since_current = t - t_current
    if (since_current > 0.25*dt && since_current < 0.75*dt) {
        fx = 1
        if (dt != dt_decay) {
            decay()
        }
    }
    : Which states are integrated (the spine must be cheap; unused states are not touched
    : at all). state_path = 1 is set at finitialize and by an event with an NMDA weight;
    : the full block (path 1) sets it, once nothing but the AMPA states and the dynamic
    : neck is in use, to 0 (fast configuration in mode 1, cfg = 1: path 0, the AMPA
    : states only), 2 (fast configuration in mode 2, cfg = 3: path 2, AMPA and the neck)
    : or -1 (other configurations: path 0 while the ring conductances stay 0); 3 marks
    : a spine refused at finitialize (zero derivatives, no refresh). The full
    : block (also in one evaluation after finitialize and after the last feature is
    : switched off) writes zero derivatives for the states not in use, so that CVODE
    : never integrates a stale derivative.
    if (state_path == 0 || (state_path == -1 && gna_head == 0 && gna_neck == 0)) {
        : path 0, the common case, written out on its own (it runs a thousand times a
        : step): the AMPA states only
        if (fx == 1) {
            ka = A
            kbb = B
            ra1 = decay_a
            ra2 = decay_b
            : a state below 1e-290 uS is set to exactly 0: decaying further it would
            : stick as a subnormal number (its decrement rounds to 0) and make every
            : operation on it a slow microcode assist (see COMMENT)
            if (fabs(ka/(1 (uS))) > 1e-290) {
                A' = ra1*ka
            } else {
                A = 0
            }
            if (fabs(kbb/(1 (uS))) > 1e-290) {
                B' = ra2*kbb
            } else {
                B = 0
            }
        } else if (A != 0 || B != 0) {
            A' = -A/tau1
            B' = -B/tau2
        } else {
            A' = 0
            B' = 0
        }
    } else if (state_path == 3) {
        : a refused spine (see refuse): its states stay where INITIAL put them
        A' = 0
        B' = 0
        An' = 0
        Bn' = 0
        m' = 0
        h' = 0
        mn' = 0
        hn' = 0
        cmode1' = 0
        cmode2' = 0
        cmode3' = 0
        ch' = 0
    } else {
        rna = 0
        rnn = 0
        if (state_path == 2) {
            path = 2
            : the neck current at the new v (the head's salt flux). If the last solve was
            : spine2's, at v = KVS and with these states (an event or a new iinj makes the
            : BREAKPOINT solve again), it moves by -gtot (v - KVS): F is linear, the
            : update exact. Otherwise solve.
            if (v_linear > -1e299) {
                inw = ineck - gtot*(v - v_linear)
            } else {
                spine2(0, v)
                inw = ineck
            }
        } else {
            path = 1
            if (cfg == 2) {
                : (in a fast configuration no ring takes part in this run)
                if (gna_head > 0) { rna = 1 }
                if (gna_neck > 0) { rnn = 1 }
            }
            if (mode == 2 || rna == 1 || rnn == 1) {
                : the head at the new v (ring rates, head salt flux)
                spine(0, v)
            }
            inw = ineck
        }
        : AMPA: a synapse at rest (both states exactly 0) stays there: no exp per step
        if (fx == 1) {
            : exact decay by cached factors
            ka = A
            kbb = B
            ra1 = decay_a
            ra2 = decay_b
            : (states below 1e-290 uS set to 0, as above)
            if (fabs(ka/(1 (uS))) > 1e-290) {
                A' = ra1*ka
            } else {
                A = 0
            }
            if (fabs(kbb/(1 (uS))) > 1e-290) {
                B' = ra2*kbb
            } else {
                B = 0
            }
        } else if (A != 0 || B != 0) {
            A' = -A/tau1
            B' = -B/tau2
        } else {
            A' = 0
            B' = 0
        }
        if (path == 1) {
            busy = 0
            if (An != 0 || Bn != 0) {
                if (fx == 1) {
                    ka = An
                    kbb = Bn
                    if (fabs(ka/(1 (uS))) > 1e-290) {
                        An' = fan*ka
                    } else {
                        An = 0
                    }
                    if (fabs(kbb/(1 (uS))) > 1e-290) {
                        Bn' = fbn*kbb
                    } else {
                        Bn = 0
                    }
                } else {
                    An' = -An/nmda_tau1
                    Bn' = -Bn/nmda_tau2
                }
                busy = 1
            } else {
                An' = 0
                Bn' = 0
                gnmda = 0
            }
            if (rna == 1) {
                : (a_m (1 - m) - b_m m = (m_inf - m)/tau_m; cnexp integrates it exactly
                : at the rates of the step's start)
                vg = clip(vhead)
                am = alpha_m(vg)
                bm = beta_m(vg)
                ah = alpha_h(vg)
                bh = beta_h(vg)
                m' = am*(1 - m) - bm*m
                h' = ah*(1 - h) - bh*h
                busy = 1
            } else {
                m' = 0
                h' = 0
            }
            if (rnn == 1) {
                vg = clip(vring)
                am = alpha_m(vg)
                bm = beta_m(vg)
                ah = alpha_h(vg)
                bh = beta_h(vg)
                mn' = am*(1 - mn) - bm*mn
                hn' = ah*(1 - hn) - bh*hn
                busy = 1
            } else {
                mn' = 0
                hn' = 0
            }
            if (mode != 2) {
                cmode1' = 0
                cmode2' = 0
                cmode3' = 0
                ch' = 0
            }
            : stay on this path while anything but the AMPA states and the neck is in use
            if (busy == 1) {
                state_path = 1
            } else if (cfg == 1 || cfg == 0) {
                state_path = 0
            } else if (cfg == 3) {
                state_path = 2
            } else if (mode == 2) {
                state_path = 1
            } else {
                state_path = -1
            }
        }
        if (path == 2 || (path == 1 && mode == 2)) {
            : the dynamic neck (neck_salt.inc): states cmode1..3 (the neck's deviation
            : from the straight profile between conc and ch, in the three-cell chain's
            : sine modes) and ch; the cells c1 c2 c3 (outputs, read by neck2) from them
            LOCAL y1, y2, y3, yh, c0, dq, u, b1, b2, b3, r1, r2, r3, rh, d1, d2, d3, w, tau, kn, kd, chinf
            y1 = cmode1
            y2 = cmode2
            y3 = cmode3
            yh = ch
            c0 = conc
            dq = 0.25*(yh - c0)
            if (path == 2 || ring_frac == 0) {
                if (fx == 1) {
                    : fixed step, equal cells: cnexp's exponential update of each cell
                    : towards its neighbours, in red-black order (c1, c3 from the step's
                    : start, then c2, ch from the new c1, c3: a chain of two dependent cells,
                    : not four; see COMMENT), by the cached factors exp(-2 kc dt) - 1 and
                    : exp(-kh dt) - 1 (stored divided by dt): no exp(). The cells from the
                    : states, and the new states from the new cells, assigned (neck_cells
                    : and neck_modes_from_cells written out: as calls they cost 8.6 % more
                    : of the spine's instructions (callgrind) and bench spine mode 2 went
                    : from 0.84x to 0.97-0.98x the explicit spines (+16 %, 400 ms, two
                    : interleaved runs of 3 rounds, quiet, 2026-12-02)). s = sqrt(2)/2 as a
                    : literal, as everywhere (neck_salt.inc: CoreNEURON truncates CONSTANTs).
                    tau = dt
                    kn = tau*decay_neck
                    kd = tau*decay_head
                    ceq = salt_per_current*inw
                    : the cells' and the head's excess over conc (x_j = j dq + e_j)
                    u = 0.70710678118654752*(y1 + y3)
                    w = yh - c0
                    b1 = dq + u + y2
                    b2 = 2*dq + y1 - y3
                    b3 = 3*dq + u - y2
                    b1 = b1 + kn*(b1 - 0.5*b2)
                    b3 = b3 + kn*(b3 - 0.5*(b2 + w))
                    b2 = b2 + kn*(b2 - 0.5*(b1 + b3))
                    yh = yh + kd*(w - b3 - ceq)
                    ch = yh
                    dq = 0.25*(yh - c0)
                    d1 = b1 - dq
                    d2 = b2 - 2*dq
                    d3 = b3 - 3*dq
                    u = 0.70710678118654752*(d1 + d3)
                    cmode1 = 0.5*(u + d2)
                    cmode2 = 0.5*(d1 - d3)
                    cmode3 = 0.5*(u - d2)
                    b1 = c0 + b1
                    b2 = c0 + b2
                    b3 = c0 + b3
                    c1 = b1
                    c2 = b2
                    c3 = b3
                    neck2(b1, b2, b3, yh)
                } else {
                    : CVODE, equal cells: the law in the modes, whose linear coupling is
                    : (nearly) diagonal, the only part of the Jacobian CVODE sees (ch's rate
                    : written with ch itself: dch'/dch = -kh/4, as c3 follows ch)
                    u = 0.70710678118654752*(y1 + y3)
                    ceq = salt_per_current*inw
                    rh = kh*(u - y2 - dq + ceq)
                    cmode1' = kc*(-2 + 1.4142135623730950)*cmode1 - (1 + 1.4142135623730950)/4*rh
                    cmode2' = kc*(-2)*cmode2 - (-0.25)*rh
                    cmode3' = kc*(-2 - 1.4142135623730950)*cmode3 - (1.4142135623730950 - 1)/4*rh
                    ch' = kh*(u - y2 - 0.25*(ch - conc) + ceq)
                    neck_cells()
                    neck2(c1, c2, c3, yh)
                }
            } else {
                : with a neck ring (see COMMENT): node c2 on the ring, gamma fraction fr
                : on its dendrite side (cells fr/2, fr/2), 1 - fr on its head side; the
                : ring's inward current irn feeds c2 with t- irn/F, the head gets
                : t- (inw - irn)/F. Rates from kc, kh (equal cells) by the cells'
                : gammas and volumes (proportional to gamma, as for equal cells).
                u = 0.70710678118654752*(y1 + y3)
                fr = ring_frac
                wa = kc/(2*fr)
                wb = kc/(2*(1 - fr))
                q = kc/kh + 0.5 - fr
                irn = ineckring()
                ceq = salt_per_current*kc
                b1 = conc + dq + u + y2
                b2 = conc + 2*dq + y1 - y3
                b3 = conc + 3*dq + u - y2
                if (fx == 1) {
                    : cnexp's exponential update of the cells in the order c1 c2 c3 ch
                    : (each towards its neighbours' newest values), exp() per step; the
                    : new states from the new cells
                    c1 = 0.5*(conc + b2)
                    c1 = c1 + (b1 - c1)*exp(-dt*wa/fr)
                    c2 = (wa*c1 + wb*b3 + ceq*irn)/(wa + wb)
                    c2 = c2 + (b2 - c2)*exp(-dt*(wa + wb))
                    c3 = 0.5*(c2 + yh)
                    c3 = c3 + (b3 - c3)*exp(-dt*wb/(1 - fr))
                    chinf = c3 + ceq*(inw - irn)/wb
                    ch = chinf + (yh - chinf)*exp(-dt*wb/q)
                    neck_modes_from_cells()
                } else {
                    : CVODE: the modes' rates from the cells', de_j = dc_j - (j/4) dch,
                    : dcmode = V^T de/2 (neck_salt.inc), with the diagonal CVODE sees
                    : written as the equal grid's (exact for a ring at the middle)
                    r1 = wa/(2*fr)*(conc - 2*b1 + b2)
                    r2 = wa*(b1 - b2) + wb*(b3 - b2) + ceq*irn
                    r3 = wb/(2*(1 - fr))*(b2 - 2*b3 + yh)
                    rh = wb/q*(b3 - yh) + ceq/q*(inw - irn)
                    c1 = b1
                    c2 = b2
                    c3 = b3
                    d1 = r1 - 0.25*rh
                    d2 = r2 - 0.5*rh
                    d3 = r3 - 0.75*rh
                    w = 0.70710678118654752*(d1 + d3)
                    cmode1' = kc*(-2 + 1.4142135623730950)*cmode1 + (0.5*(w + d2) - kc*(-2 + 1.4142135623730950)*y1)
                    cmode2' = kc*(-2)*cmode2 + (0.5*(d1 - d3) - kc*(-2)*y2)
                    cmode3' = kc*(-2 - 1.4142135623730950)*cmode3 + (0.5*(w - d2) - kc*(-2 - 1.4142135623730950)*y3)
                    ch' = -0.25*wb/q*ch + (rh + 0.25*wb/q*yh)
                }
                neck2r()
            }
        }
    }
    : refresh the head with the new v and states: a recorded vhead then belongs to the
    : recorded v (refresh = 0 saves this solve; the outputs then lag one step)
    if (refresh == 1 && state_path != 3) {
        if (state_path == 2) {
            : (spine2 directly: through spine() it costs 10 % more in mode 2)
            spine2(1, v)
        } else {
            spine(1, v)
        }
        if (fx == 1) {
            : (fixed step: the next current evaluation, half a step later, may reuse it)
            t_refresh = t
            v_refresh = v
            iinj_refresh = iinj
        }
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
    if (w_nmda != 0 && state_path != 3) {
        : the NMDA states are in use: the full state block and solver
        state_path = 1
    }
    t_refresh = -1e300
}

PROCEDURE refuse() {
    : a refused spine (badparam != 0): no current, no conductance, finite outputs
    : (the head at the dendrite's potential, states at rest)
    ineck = 0
    gtot = 0
    i = 0
    vhead = v
    vring = v
    reff = 0
    chead = 0
    r0 = 0
    isat = 0
    vt = 0
    gampa = 0
    gnmda = 0
    niter = 0
    A = 0
    B = 0
    An = 0
    Bn = 0
    m = 0
    h = 1
    mn = 0
    hn = 1
    c1 = 0
    c2 = 0
    c3 = 0
    ch = 0
    cmode1 = 0
    cmode2 = 0
    cmode3 = 0
    t_refresh = -1e300
    t_current = -1e300
    : state path 3 marks the refused spine: BREAKPOINT never solves, the state block
    : writes zero derivatives and no refresh (the check costs no read per step)
    state_path = 3
}

PROCEDURE decay() {
    : the synaptic states' exact decay over one fixed step dt, written as a rate so that
    : the state update dt*rate*X multiplies X by exp(-dt/tau): fa = (exp(-dt/tau1) - 1)/dt
    : etc. (tau1, tau2, nmda_tau1, nmda_tau2 are read at INITIAL; a new dt is picked up at
    : the next step)
    decay_a = ((exp(-dt/tau1) - 1)/dt)
    decay_b = ((exp(-dt/tau2) - 1)/dt)
    fan = (exp(-dt/nmda_tau1) - 1)/dt
    fbn = (exp(-dt/nmda_tau2) - 1)/dt
    decay_neck = ((exp(-2*kc*dt) - 1)/dt)
    decay_head = ((exp(-kh*dt) - 1)/dt)
    dt_decay = dt
}

PROCEDURE setup() {
    LOCAL gam, dgam, vseg, vhd, gdif, tminus
    : derived constants (temperature, geometry, law); called from INITIAL
    vt = R*(celsius + 273.15 (degC))/FARADAY
    gam = gamneck()
    isat = 2*conc*diff*FN/gam
    r0 = vt/isat
    gsat = (isat/vt)
    conc_per_isat = (conc/isat)
    if (mode == 0) {
        if (rneck > 0) {
            r0 = rneck
        } else if (ra > 0) {
            r0 = ra*gam*RAF
        }
    }
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
    : the head cell gains t- ineck/F: kin = t-/(F vhd), stored as kin/kh
    salt_per_current = (tminus/(FN*gdif))
    gneck_per_conc = (FN*(diff + diff_anion)/(vt*dgam))
    ediff_per_log = (-vt*(diff - diff_anion)/(diff + diff_anion))
}

FUNCTION gamneck() (/um) {
    : gamma, the integral dx/S of the neck (given, or the cylinder's)
    if (gamma > 0) {
        gamneck = gamma
    } else {
        gamneck = neck_len/(PI*neck_diam*neck_diam/4)
    }
}

FUNCTION fring() (1) {
    : neck ring: the neck splits into a (dendrite to ring, fraction fring of gamma) and b
    : (ring to head); both kept finite (a ring at an end is a ring in the head or the
    : dendrite)
    LOCAL f
    if (ring_gamma > 0) {
        f = ring_gamma/gamneck()
    } else {
        f = ring_pos
    }
    if (f < 1e-6) { f = 1e-6 }
    if (f > 1 - 1e-6) { f = 1 - 1e-6 }
    fring = f
}

INCLUDE "hh_rates.inc"
INCLUDE "boltzmann.inc"
INCLUDE "mg_block.inc"

FUNCTION clip(vh (mV)) (mV) {
    : the ring's gating voltage, clipped to +-500 mV only to keep the HH rates finite
    : for a saturated head
    if (vh > 500) {
        clip = 500 (mV)
    } else if (vh < -500) {
        clip = -500 (mV)
    } else {
        clip = vh
    }
}

PROCEDURE spine(full, vnow (mV)) {
    : The head solve of every evaluation: (1) for the dendrite voltage vnow; sets ineck,
    : gtot and, if full = 1, the recorded outputs. Every configuration goes to
    : solve_spine (head_solver.inc), except two fast paths (see COMMENT, "Speed"):
    : mode 1 in the fast configuration (cfg = 1) with no NMDA conductance (state_path =
    : 0): F is increasing and convex and Newton runs from the anchor (x_anchor, w_anchor
    : = exp(x_anchor/VT), the last point where the law was evaluated with exp()); a step
    : whose error (dx)^2/(2 VT) is below the tolerance is final without a further
    : evaluation, the quiet regime between inputs; otherwise a few Newton steps,
    : monotone from the second on; steps over 5 mV or towards exp overflow go to
    : solve_spine. It reads as few fields as it can (on a thousand spines memory traffic,
    : not arithmetic, is the cost). Buys: mode 1 2.52x -> 0.99x Exp2Syn (bench spine,
    : median). Mode 2 in its fast configuration: spine2.
    LOCAL ga, gl, gh, i0, x, w, iv, div, dfv, rdf, dx, xn, done, k, go, t, is, sv
    if (state_path == 0 && cfg == 0) {
        spine0(full, vnow)
    } else if (state_path == 0) {
        : the fast configuration (cfg = 1) with no NMDA conductance
        done = 0
        w = w_anchor
        if (w > 0) {
            is = isat
            sv = gsat
            ga = B - A
            gl = gleak + gfloor
            gh = gl + ga
            i0 = iinj + gl*eleak + ga*e_ampa
            x = x_anchor
            k = 0
            go = 1
            while (go == 1) {
                go = 0
                : the steady law (neck_laws.inc's segment_law with w_near = 1) written
                : out (bench spine, 2026-12-02, median of 5, load 4-6: calling
                : segment_law here cost mode 1 0.53x/0.56x -> 0.73x/0.63x explicit)
                iv = is*(w - 1)
                div = sv*w
                dfv = div + gh
                if (dfv > 0) {
                    rdf = 1/dfv
                    dx = -(iv + gh*(vnow + x) - i0)*rdf
                    : final if (dx)^2/(2 VT) < 1e-10 mV (sv = isat/VT: no read of vt)
                    if (dx*dx*sv < 2e-10 (mV)*is) {
                        done = 1
                    } else if (k < 5 && fabs(dx/(1 (mV))) < 5 && x + dx < 40*vt) {
                        : a further Newton step (F convex: from the second step on the
                        : iterates decrease monotonically to the root). The anchor moves
                        : to x + dx: w = exp((x + dx)/VT) from w by a Taylor series of
                        : exp(t), t = dx/VT, for |t| < 2e-3 (degree 4: truncation
                        : < 3e-16, an ulp), at most 512 times in a row (rounding drift
                        : < 3e-13); else exp(). (bench spine, 2026-12-02, median of 5,
                        : load 4-6: exp() every time cost mode 1 0.50x/0.46x ->
                        : 0.61x/0.62x explicit)
                        t = dx/vt
                        if (fabs(t) < 2e-3 && nw < 512) {
                            w = w*(1 + t*(1 + t*(0.5 + t*(1/6 + t/24))))
                            nw = nw + 1
                        } else {
                            w = exp((x + dx)/vt)
                            nw = 0
                        }
                        x = x + dx
                        x_anchor = x
                        w_anchor = w
                        niter = niter + 1
                        k = k + 1
                        go = 1
                    }
                }
            }
            if (done == 1) {
                xn = x + dx
                ineck = iv + div*dx
                gtot = div*gh*rdf
                if (full == 1) {
                    vhead = vnow + xn
                    vring = vnow
                    gampa = ga
                    : PROCEDURE outputs written out, its validity check behind a
                    : pre-test (bench spine, 2026-12-02, median of 5, load 4-6: calling
                    : outputs() instead cost mode 1 0.50x/0.46x -> 0.58x/0.61x explicit)
                    if (fabs(ineck/(1 (nA))) > 1e-12) {
                        reff = xn/ineck
                    } else {
                        reff = 1/div
                    }
                    chead = conc_per_isat*(is + ineck)
                    : validity (spine_validity.inc), only when a condition may hold
                    if (ineck < (2*csat - 1)*is || vhead > vhead_limit
                        || vhead < -vhead_limit) {
                        check_validity()
                    }
                }
            }
        }
        if (done == 0) {
            solve_spine(full, vnow)
        }
    } else if (state_path == 2) {
        spine2(full, vnow)
    } else {
        solve_spine(full, vnow)
    }
}

PROCEDURE spine0(full, vnow (mV)) {
    : spine() in the fast configuration in mode 0 (cfg = 0) with no NMDA conductance: an
    : Ohmic neck, x = r0 ineck, and a linear head ihead = i0 - gh (v + x) make (1) linear,
    : solved by one division: ineck = (i0 - gh v)/(1 + gh r0), gtot = gh/(1 + gh r0).
    : Buys (against solve_spine): bench spine spine0 1.057 s -> 0.382 s (300 ms, best of
    : 3), bench cell fold-ohmic 1.91x -> 0.93x Exp2Syn (median of 7), 2026-12-02.
    LOCAL ga, gl, gh, i0, x, rd
    ga = B - A
    gl = gleak + gfloor
    gh = gl + ga
    i0 = iinj + gl*eleak + ga*e_ampa
    rd = 1/(1 + gh*r0)
    ineck = (i0 - gh*vnow)*rd
    gtot = gh*rd
    x = r0*ineck
    x_anchor = x
    w_anchor = 0
    if (full == 1) {
        vhead = vnow + x
        vring = vnow
        gampa = ga
        reff = r0
        chead = conc
        if (vhead > vhead_limit || vhead < -vhead_limit) {
            check_validity()
        }
    }
}

PROCEDURE spine2(full, vnow (mV)) {
    : spine() in the fast configuration in mode 2 (cfg = 3) with no NMDA conductance
    : (F is linear, ineck = (x - ediff) gdyn: one step solves it). Buys: mode 2 1.42x ->
    : 0.83x explicit (bench spine, median) against solve_spine. A procedure of its
    : own: inside spine() it costs the mode 1 fast path registers (callgrind).
    : With gdyn = gco/L (neck2): x = (L (i0 - gh v) + gco ed)/(gco + gh L), ineck =
    : gco (i0 - gh (v + ed))/(gco + gh L), gtot = gco gh/(gco + gh L): one division.
    LOCAL ga, gl, gh, i0, x, ed, lg, gc, den, rd
    ga = B - A
    gl = gleak + gfloor
    gh = gl + ga
    i0 = iinj + gl*eleak + ga*e_ampa
    lg = sum_ilm
    gc = gneck_per_conc
    den = gc + gh*lg
    if (den > 0) {
        rd = 1/den
        ed = ediff
        x = (lg*(i0 - gh*vnow) + gc*ed)*rd
        ineck = gc*(i0 - gh*(vnow + ed))*rd
        gtot = gc*gh*rd
        x_anchor = x
        w_anchor = 0
        v_linear = vnow
        if (full == 1) {
            vhead = vnow + x
            vring = vnow
            gampa = ga
            if (fabs(ineck/(1 (nA))) > 1e-12) {
                reff = x/ineck
            } else {
                reff = lg/gc
            }
            chead = ch
            if (vhead > vhead_limit || vhead < -vhead_limit) {
                check_validity()
            }
        }
    } else {
        solve_spine(full, vnow)
    }
}

INCLUDE "head_solver.inc"
INCLUDE "neck_laws.inc"

PROCEDURE neck_law(x (mV)) {
    : head_solver.inc's neck law at x = vhead - v: the current from the head into the
    : dendrite (or, while solve_ring solves the head at a fixed ring node, into the ring
    : node through segment b) and its slope and curvature bound (neck_laws.inc)
    LOCAL w
    if (head_to_ring == 1) {
        if (mode == 1) {
            : (w first: CoreNEURON's nmodl (NEURON 9.0.2) drops a FUNCTION call passed as an
            : argument to an inlined PROCEDURE, leaving its value uninitialised)
            w = boltzmann_ratio(x, vt)
            segment_law(ring_w, w, ring_isat_b, vt)
        } else {
            linear_law(x - ring_x, ring_ediff_b, ring_g_b)
        }
    } else if (mode == 1) {
        w = boltzmann_ratio(x, vt)
        segment_law(1, w, isat, vt)
        : the anchor of spine()'s fast path: the last x where exp(x/VT) was evaluated
        x_anchor = x
        w_anchor = 0
        if (x < 40*vt) {
            w_anchor = w
        }
    } else if (mode == 0) {
        linear_law(x, 0, 1/r0)
    } else {
        linear_law(x, ediff, gneck_per_conc/sum_ilm)
    }
    neck_current = law_current
    neck_slope = law_slope
    neck_curvature = law_curvature
}

PROCEDURE head_law(vh (mV)) {
    : head_solver.inc's head law: the membrane currents into the head at vhead = vh (see
    : COMMENT, "Head currents"), their slope conductance -d/dvh and a bound of their
    : curvature within curv_radius of vh. NMDA: I = gn B(vh) (vh - e_nmda) with the Mg
    : block B, |B'| <= 0.062/4 /mV, |B''| <= 0.062^2/(6 sqrt 3) = 3.70e-4 /mV2, so
    : |I''| <= gn (3.70e-4 /mV2 (|vh - e_nmda| + r) + 2 0.062/4 /mV). Boltzmann ring:
    : |b'| <= 1/(4 s), |b''| <= 1/(6 sqrt 3 s^2) = 0.0962/s^2 (s = slope_bz). An HH ring
    : is linear in vh at given gates m, h.
    LOCAL gl, ga, gn, gs, b, db, dv, ad, sb
    gl = gleak + gfloor
    ga = B - A
    head_current = iinj - gl*(vh - eleak) - ga*(vh - e_ampa)
    head_slope = gl + ga
    head_curvature = 0
    gn = Bn - An
    if (gn != 0) {
        b = mg_block(vh, mg/(3.57 (mM)))
        db = 0.062 (/mV)*b*(1 - b)
        dv = vh - e_nmda
        ad = fabs(dv/(1 (mV)))*(1 (mV))
        head_current = head_current - gn*b*dv
        head_slope = head_slope + gn*(b + db*dv)
        head_curvature = head_curvature + fabs(gn/(1 (uS)))*(1 (uS))*((3.70e-4 (/mV2))*(ad
                         + curv_radius) + 0.031 (/mV))
    }
    if (cfg == 2) {
        : (in a fast configuration no ring takes part in this run)
        if (gna_head > 0) {
            gs = gna_head*m*m*m*h
            head_current = head_current - gs*(vh - ena)
            head_slope = head_slope + gs
        }
        if (gbz_head > 0) {
            sb = slope_bz
            b = boltzmann_act(vh, vhalf_bz, sb)
            db = b*(1 - b)/sb
            dv = vh - ebz
            ad = fabs(dv/(1 (mV)))*(1 (mV))
            head_current = head_current - gbz_head*b*dv
            head_slope = head_slope + gbz_head*(b + db*dv)
            sb = fabs(sb/(1 (mV)))*(1 (mV))
            head_curvature = head_curvature + gbz_head*(0.0962*(ad + curv_radius)/(sb*sb)
                             + 0.5/sb)
        }
    }
}

PROCEDURE ring_channels(vr (mV)) {
    : the neck ring's current INTO the neck at the ring node's potential vr (HH Na
    : gna_neck mn^3 hn (vr - ena) and the Boltzmann ring, both inward positive here) and
    : its slope conductance -d/dvr
    LOCAL gs, b, dv
    ring_current = 0
    ring_slope = 0
    if (gna_neck > 0) {
        gs = gna_neck*mn*mn*mn*hn
        ring_current = -gs*(vr - ena)
        ring_slope = gs
    }
    if (gbz_neck > 0) {
        b = boltzmann_act(vr, vhalf_bz, slope_bz)
        dv = vr - ebz
        ring_current = ring_current - gbz_neck*b*dv
        ring_slope = ring_slope + gbz_neck*(b + b*(1 - b)/slope_bz*dv)
    }
}

FUNCTION ineckring() (nA) {
    : the neck ring's current into the neck at the present vring (the mode 2 ring node's
    : salt source)
    ring_channels(vring)
    ineckring = ring_current
}

PROCEDURE solve_spine(full, vnow (mV)) {
    : the head balance (1) by head_solver.inc for the dendrite voltage vnow: sets ineck,
    : gtot and, if full = 1, the recorded outputs. With a neck ring the ring node is the
    : outer unknown (solve_ring).
    LOCAL x
    if (cfg == 2 && (gna_neck > 0 || gbz_neck > 0) && (mode != 2 || ring_frac > 0)) {
        solve_ring(vnow)
    } else {
        x = solve_head(vnow, x_anchor)
        niter = niter + root_evals0
        if (root_status0 == 3) {
            set_flag(1)
        }
        ineck = neck_current
        if (neck_slope + head_slope > 0) {
            gtot = neck_slope*head_slope/(neck_slope + head_slope)
        } else {
            : at a fold of the head balance: no finite series conductance
            gtot = neck_slope
        }
        if (mode != 1) {
            x_anchor = x
            w_anchor = 0
        }
        : a linear F (mode 2, linear head): the neck current at another v follows exactly
        : along gtot (the mode 2 neck update reads v_linear)
        v_linear = -1e300
        if (mode == 2 && neck_curvature + head_curvature == 0) {
            v_linear = vnow
        }
        if (full == 1) {
            vhead = vnow + x
            vring = vnow
            outputs(x, neck_slope)
        }
    }
}

PROCEDURE outputs(x (mV), gneck (uS)) {
    : the recorded outputs besides vhead, vring from the solution x = vhead - v, ineck and
    : the neck's slope gneck; then the validity flags
    gampa = B - A
    gnmda = Bn - An
    if (fabs(ineck/(1 (nA))) > 1e-12) {
        reff = x/ineck
    } else {
        reff = 1/gneck
    }
    if (mode == 2) {
        chead = ch
    } else if (mode == 1) {
        chead = conc_per_isat*(isat + ineck)
    } else {
        chead = conc
    }
    check_validity()
}

PROCEDURE solve_ring(vnow (mV)) {
    : the head balance with a ring of channels part-way along the neck (see COMMENT,
    : "Neck ring"). Segment a (dendrite to ring node) carries ia(xr), segment b (ring node
    : to head) ib(xh, xr), the ring's channels inject ring_current at the ring node:
    : G(xr) = ia(xr) - ib(xh(xr), xr) - ring_current(v + xr) = 0 with xh(xr) the head
    : balance at the fixed ring node (solve_head, level 0). G is solved by the same
    : safeguarded Newton at level 1; dG/dxr = ia' + ring_slope + q head_slope/(neck_slope
    : + head_slope), q = -d ib/d xr, the head moving with the ring node.
    LOCAL fr, xr, xh, ia, dia, q, g, dg, a1, a2, l1, l2, eda, rsa, sh, tt
    fr = fring()
    ring_isat_b = isat/(1 - fr)
    ring_g_b = 1/(r0*(1 - fr))
    rsa = r0*fr
    eda = 0
    ring_ediff_b = 0
    if (mode == 2) {
        : segment a from the salt profile (floored as in neck2r); segment b is the rest
        : of neck2r's whole-neck resistance and diffusion potential (same states)
        fr = ring_frac
        a1 = c1
        a2 = c2
        if (a1 < cmin) { a1 = cmin }
        if (a2 < cmin) { a2 = cmin }
        l1 = ilm(conc, a1)
        l2 = ilm(a1, a2)
        rsa = 2*fr*(l1 + l2)/gneck_per_conc
        ring_g_b = gneck_per_conc/(sum_ilm - 2*fr*(l1 + l2))
        eda = ediff_per_log*((a1 - conc)*l1 + (a2 - a1)*l2)
        ring_ediff_b = ediff - eda
    }
    : warm start: the ring node's and the head's last offsets from the dendrite
    xr = vring - vnow
    xh = x_anchor
    root_start(1)
    while (root_status1 == 0) {
        : segment a and the ring's channels at the ring node
        if (mode == 1) {
            ring_w = boltzmann_ratio(xr, vt)
            segment_law(1, ring_w, isat/fr, vt)
            q = ring_isat_b*law_slope/(isat/fr)
        } else {
            linear_law(xr, eda, 1/rsa)
            q = ring_g_b
        }
        ia = law_current
        dia = law_slope
        ring_channels(vnow + xr)
        : the head at this ring node
        ring_x = xr
        head_to_ring = 1
        xh = solve_head(vnow, xh)
        head_to_ring = 0
        niter = niter + root_evals0
        if (root_status0 == 3) {
            set_flag(1)
        }
        g = ia - neck_current - ring_current
        if (neck_slope + head_slope > 0) {
            dg = dia + ring_slope + q*head_slope/(neck_slope + head_slope)
        } else {
            dg = dia + ring_slope + q
        }
        xr = root_next(1, xr, g, dg, -1)
    }
    if (root_status1 == 3) {
        set_flag(1)
    }
    x_anchor = xh
    w_anchor = 0
    v_linear = -1e300
    vhead = vnow + xh
    vring = vnow + xr
    ineck = ia
    gampa = B - A
    gnmda = Bn - An
    : di/dv of the chain dendrite -a- ring node (ring_slope) -b- head (head_slope)
    if (neck_slope + head_slope > 0) {
        sh = neck_slope*head_slope/(neck_slope + head_slope)
        tt = q*head_slope/(neck_slope + head_slope)
    } else {
        sh = neck_slope
        tt = q
    }
    if (dia + ring_slope + tt > 0) {
        gtot = dia*(ring_slope + sh)/(dia + ring_slope + tt)
    } else {
        gtot = dia
    }
    if (fabs(ia/(1 (nA))) > 1e-12) {
        reff = xh/ia
    } else {
        reff = 1/dia + 1/q
    }
    if (mode == 1) {
        chead = conc*boltzmann_ratio(xh, vt)
    } else if (mode == 2) {
        chead = ch
    } else {
        chead = conc
    }
    check_validity()
}
