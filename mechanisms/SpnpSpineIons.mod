TITLE SpnpSpineIons: a spine in real cytoplasm (Na, K, Cl, Ca, fixed anions) as one point process

COMMENT
A spine whose neck and head hold the ions of a cytoplasm, as ONE point process in a
dendrite segment.

Physics. Species s (Na, K, Cl, Ca with z = 2, and a fixed monovalent anion A), each
with its diffusion coefficient D_s [um2/ms], move along the neck by Nernst-Planck.
With u = V/VT (VT = R T/F from NEURON's celsius) and S(x) the neck's cross-section,
the flow of species s towards the head is

    Q_s = -D_s S (dc_s/dx + z_s c_s du/dx)                      [mM um3/ms]

The neck is electroneutral and has no membrane, so its current I (head -> dendrite,
I = -F sum_s z_s Q_s) is the same at every x: the net current entering the head across
its membrane. Solved for the field, du/dx = (I/(F S) - sum z D dc/dx)/sum z^2 D c, so
given the concentrations the head potential is linear in I: a conductor in series with
a diffusion EMF,

    vhead - v = R ineck + E,  R = VT int dx/(F S sigma),  sigma = sum_s z_s^2 D_s c_s,
                              E = -VT int (sum_s z_s D_s dc_s/dx)/sigma dx.

The head is well mixed, of volume pi head_diam^3/6, without membrane capacitance (its
charging time R C_head is ~1 us): at every evaluation vhead solves the head balance
ineck(vhead - v) = ihead(vhead), where ihead is the net current into the head across
its membrane (below). The concentrations are states:

    S dc_s/dt = -dQ_s/dx                                           (neck)
    V_h b_s dc_s/dt = Q_s(L) + I_s/(z_s F) - extrusion_s            (head)

with b = 1 + ca_buffer for Ca (a fast buffer of capacity ca_buffer, bound/free) and 1
otherwise; Ca extrusion V_h (1 + ca_buffer) (cahead - ca_rest)/ca_tau, ca_rest the
dendrite's cai at finitialize, ca_tau the decay time of free Ca. The pump moves charge
out of the head: its current 2 F extrusion is part of ihead. The fixed anion moves with
d_a (0: immobile, it keeps a_conc everywhere).

Dendrite end. The concentrations at the dendrite end are NEURON's nai, ki, cli, cai
of the segment the spine sits in (read at every evaluation), and a_conc for the anion.
The neck's flows there are delivered as the ionic currents of the point process [nA,
outward positive, i.e. leaving the dendrite's cytoplasm into the neck]:
ina = F Q_na(0), ik = F Q_k(0), icl = -F Q_cl(0), ica = 2 F Q_ca(0), and a mobile
anion's share as the NONSPECIFIC_CURRENT ia. Their sum is -ineck (the spine's whole
current), so a dendrite with ion accumulation or rxd sees what the spine takes and
gives, mole for mole. NEURON's ion defaults are not a cytoplasm (ki0_k_ion = 54.4 mM):
set them with spinepnp.ions.set_cytoplasm. The dendrite end must be electroneutral
with the fixed anion at finitialize: nai + ki + 2 cai - cli = a_conc (to 1e-6
relative), else the spine is refused (badparam 42) with the a_conc that would balance.
A species may be absent (0 at the dendrite: then not watched for run-out).

Head currents by ion (positive = into the head):
  iinj_na, iinj_k, iinj_ca [nA]: constant currents (protocols).
  Leak: gleak [uS] to eleak [mV], carried by K (the resting leak of neurons is mostly a
    K conductance).
  AMPA (double exponential tau1, tau2, Exp2Syn's normalisation: one event of weight w
    peaks at w): a Goldman-Hodgkin-Katz current of Na and K with P_K/P_Na = pk_pna
    (about 1 for AMPA receptors: Jonas & Sakmann, J Physiol 455:143, 1992):
        I_s = -g p_s VT (c_in B(z u) - c_out B(-z u))/c_norm,   B(y) = y/(1 - exp(-y)),
    u = vhead/VT, c_in the head's concentration, c_out NEURON's nao or ko, p_na = 1,
    p_k = pk_pna, c_norm = nao + pk_pna ko, so that g is the chord conductance at strongly
    negative potentials. The reversal potential follows from the concentrations
    (about 0 mV in cytoplasm).
  NMDA (nmda_tau1, nmda_tau2): the same GHK Na/K current times the Mg block
    1/(1 + mg/3.57 exp(-0.062 vhead)) (Jahr & Stevens 1990); Ca carries the fraction
    ca_frac of its inward current (fractional Ca current about 10 % at physiological
    Ca: Schneggenburger et al., Neuron 11:133, 1993; Burnashev et al., J Physiol
    485:403, 1995): I_ca = ca_frac/(1 - ca_frac) max(I_na + I_k, 0).
  Rings: gna_head (HH Na, m^3 h, reversal ena, the rates of hh_rates.inc) and gbz_head
    (instantaneous Boltzmann, ebz, vhalf_bz, slope_bz) carry Na.
  NET_RECEIVE(w_ampa, w_nmda) [uS] opens AMPA and NMDA as SpnpSpine does.

Numerics. NC neck cells of equal length (equal gamma, equal volume: exact for a
cylinder; gamma and neck_vol may be given for another profile) with the concentrations
at their centres, plus the head. The link between neighbouring nodes has the geometric
factor A = 1/(gamma between them) [um] (half a cell at the dendrite end and at the head)
and uses the mean of the two concentrations:

    Q = D A [c_left (1 - z du/2) - c_right (1 + z du/2)],  du = (I/(F A) - sum z D dc)/sigma

the same finite volumes as the Python reference spinepnp.ions.IonSpine (with
head_gamma = 0: give gamma for a junction's access), linear in I, conserving each
species' moles to round-off. The flows
are set at every evaluation from the solved head and the field. NEURON's fixed step
takes a backward-Euler step of every species (the rates of the step's start, a
tridiagonal solve over cells and head: unconditionally stable, first order), handed to
cnexp as the rate (c_new - c)/dt; under CVODE the block gives the exact derivatives
with each cell's own outflow rate as the diagonal of CVODE's Newton matrix. The states
are scalars (na0 .. na5, nah, k0 .., kh, cl.., ca.., an..: cells from the dendrite end,
then the head), copied into the working array c, so that NEURON's and CoreNEURON's
NMODL translate the block alike (a KINETIC scheme, which would give CVODE the cells'
coupling, is not translated by CoreNEURON's NMODL at this size). Cost of that choice:
CVODE's Newton sees only each cell's own rate, so while the neck is active its steps
stay near the cells' diffusion time (h^2/2D, a few us): an EPSP train takes ~15x
SpnpSpine mode 2's steps. The head balance is solved by the one head solver of
head_solver.inc (this file defines its neck_law and head_law; hcurv = -1 passes on
"no bound"). When it runs: every BREAKPOINT (the currents) solves the
head, sets the link rates and checks validity; the fixed step's state update (half a
step later, the same concentrations and synaptic states) takes the backward-Euler step
with those rates, so one head solve per step; CVODE's solves it again at its own v. Parameters are read at every evaluation, except the geometry, the
diffusion coefficients, ca_buffer, ca_tau, cfloor_frac and celsius, read at INITIAL
(as is the synapses' peak normalisation).

Validity (invalid, a sum of flags, from tinvalid on; spinepnp.validity.INVALID_IONS):
1 the head balance did not converge; 2 a mobile species at or below cfloor_frac of its
dendrite value at finitialize in a neck cell, the head or the release site (a carrier
ran out, e.g. Na carried out of the head faster than the neck resupplies it; the model
has no solution past that point; a species absent at the dendrite, value 0, is not
watched); 4 |vhead| > 1000 mV. Release site: the head is well mixed except near the
membrane where its currents flow; there a species is depleted (or enriched) below the
head's mean by the quasi-steady drop of its membrane flux,
    c_site = c_head + I_s/(z_s F) site_gamma/D_s,
site_gamma = int f(x)^2 dx/S(x) over the head from the neck junction to the membrane
(f: the fraction of the head's volume between the junction and x); it moves only the
depletion flag (spinepnp.ions.ball_and_neck_spine computes it for a ball head).
Concentrations enter the conductance clipped at 0 and the outputs are never negative.
The flags are checked at every BREAKPOINT (and at finitialize).
Refused parameters (badparam, spinepnp.validity.BADPARAM_IONS): checked at
finitialize; a refused spine prints one line and delivers no current.
Outputs: vhead (mV), ineck (nA, head -> dendrite), rneck (MOhm) and eneck (mV), the
neck's instantaneous resistance and diffusion EMF, nahead, khead, clhead, cahead (mM,
free Ca), ahead (mM), gampa, gnmda (uS), gtot (uS, di/dv handed to NEURON).
Sources: the electro-diffusion I-V paper (eq 10-14, the multi-species neck), Jahr &
Stevens, J Neurosci 10:3178 (1990); buffer and extrusion defaults: Sabatini, Oertner
& Svoboda, Neuron 33:439 (2002) (capacity ~20, decay ~12 ms).
ENDCOMMENT

DEFINE NC 6          : neck cells
DEFINE NP 7          : nodes per species: NC cells and the head
DEFINE NL 7          : links per species: dendrite-cell, NC - 1 cell-cell, cell-head
DEFINE NSP 5         : species: na, k, cl, ca, anion
DEFINE NS 35         : concentration states NSP*NP
DEFINE NIN 28        : inputs of a head solve compared before its reuse (inputs_changed)

NEURON {
    THREADSAFE
    POINT_PROCESS SpnpSpineIons
    USEION na READ nai, nao WRITE ina
    USEION k READ ki, ko WRITE ik
    USEION cl READ cli WRITE icl VALENCE -1
    USEION ca READ cai WRITE ica VALENCE 2
    NONSPECIFIC_CURRENT ia
    RANGE neck_len, neck_diam, gamma, head_diam, neck_vol
    RANGE d_na, d_k, d_cl, d_ca, a_conc, d_a
    RANGE iinj_na, iinj_k, iinj_ca, gleak, eleak
    RANGE tau1, tau2, pk_pna, nmda_tau1, nmda_tau2, mg, ca_frac
    RANGE gna_head, ena, ah0, gbz_head, ebz, vhalf_bz, slope_bz
    RANGE ca_buffer, ca_tau, cfloor_frac, site_gamma
    RANGE vhead, ineck, rneck, eneck, nahead, khead, clhead, cahead, ahead
    RANGE gampa, gnmda, gtot, vt, niter
    RANGE badparam, invalid, tinvalid
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (MOhm) = (megohm)
    (um) = (micron)
    (mM) = (milli/liter)
    FARADAY = (faraday) (kilocoulomb)          : Faraday's constant, for VT = R T/F in mV
    FN = (faraday) (nA ms/mM um3)              : 1 mM um3/ms of unit charge is FN nA
    R = (k-mole) (joule/degC)                  : molar gas constant
    PI = (pi) (1)
}

PARAMETER {
    neck_len = 1    (um)      : neck length
    neck_diam = 0.1 (um)      : neck diameter (cylinder)
    gamma = 0       (/um)     : integral dx/S of the neck (0: the cylinder's)
    head_diam = 0.5 (um)      : head diameter (sphere volume)
    neck_vol = 0    (um3)     : neck volume (0: the cylinder's)
    d_na = 1.33     (um2/ms)  : diffusion coefficients (aqueous, 25 degC, CRC Handbook)
    d_k = 1.96      (um2/ms)
    d_cl = 2.03     (um2/ms)
    d_ca = 0.79     (um2/ms)
    a_conc = 145.0002 (mM)    : fixed anion (default: balances spinepnp.ions.CYTOPLASM)
    d_a = 0         (um2/ms)  : its diffusion coefficient (0: immobile)
    iinj_na = 0     (nA)      : constant Na current into the head
    iinj_k = 0      (nA)      : constant K current into the head
    iinj_ca = 0     (nA)      : constant Ca current into the head
    gleak = 0       (uS)      : head leak conductance (carried by K)
    eleak = -70     (mV)      : head leak reversal
    tau1 = 0.2      (ms)      : AMPA rise time constant
    tau2 = 2        (ms)      : AMPA decay time constant
    pk_pna = 1      (1)       : AMPA and NMDA permeability ratio P_K/P_Na
    nmda_tau1 = 2   (ms)      : NMDA rise time constant
    nmda_tau2 = 50  (ms)      : NMDA decay time constant
    mg = 1          (mM)      : extracellular Mg for the NMDA block
    ca_frac = 0.1   (1)       : fraction of the inward NMDA current carried by Ca
    gna_head = 0    (uS)      : HH Na ring in the head, maximal conductance
    ena = 50        (mV)      : Na reversal of the HH ring
    ah0 = 0.06      (/ms)     : alpha_h prefactor (as SpnpSpine)
    gbz_head = 0    (uS)      : Boltzmann ring in the head (Na), maximal conductance
    ebz = 50        (mV)      : Boltzmann ring reversal
    vhalf_bz = -30  (mV)      : Boltzmann ring half activation
    slope_bz = 5    (mV)      : Boltzmann ring slope
    ca_buffer = 20  (1)       : head Ca buffer capacity (bound/free; Sabatini et al. 2002)
    ca_tau = 12     (ms)      : decay time of head free Ca by extrusion (same source)
    cfloor_frac = 1e-3 (1)    : a species at this fraction of its dendrite value ran out
    site_gamma = 0  (/um)     : release site: int f^2 dx/S over the head (0: well mixed)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    nai (mM)
    nao (mM)
    ki (mM)
    ko (mM)
    cli (mM)
    cai (mM)
    ina (nA)
    ik (nA)
    icl (nA)
    ica (nA)
    ia (nA)
    vhead (mV)
    ineck (nA)
    rneck (MOhm)
    eneck (mV)
    nahead (mM)
    khead (mM)
    clhead (mM)
    cahead (mM)
    ahead (mM)
    gampa (uS)
    gnmda (uS)
    gtot (uS)
    g_na (uS)
    g_k (uS)
    g_cl (uS)
    g_ca (uS)
    g_a (uS)
    vt (mV)
    niter (1)
    badparam (1)
    invalid (1)
    tinvalid (ms)
    refused (1)
    factor_ampa (1)
    factor_nmda (1)
    vol[NS] (um3)
    zs[NSP] (1)
    ds[NSP] (um2/ms)
    alink[NL] (um)
    sig[NL] (mM um2/ms)
    gsum[NL] (mM um2/ms)
    kf[NS] (um3/ms)
    kb[NS] (um3/ms)
    src[NSP] (mM um3/ms)
    cdend[NSP] (mM)
    cfl[NSP] (mM)
    ca_rest (mM)
    kpump (um3/ms)
    ipump (nA)
    ih_na (nA)
    ih_k (nA)
    ih_ca (nA)
    gh (uS)
    gh_na (uS)
    gh_k (uS)
    gh_ca (uS)
    hcurv (1)
    x_last (mV)
    dcs[NS] (mM/ms)
    qd[NS] (/ms)
    c[NS] (mM)
    wd[NP] (1)
    wu[NP] (1)
    wr[NP] (1)
    wx[NP] (1)
    t_solved (ms)
    t_refreshed (ms)
    inp[NIN] (1)
    dt (ms)
    nmob (1)
}

STATE {
    : neck cells 0 (dendrite end) .. 5 and the head (h) of each species: na, k, cl,
    : ca (free) and the fixed anion an. (CVODE's absolute tolerance of each state is
    : cvode.atol() times the factor <.>: 1e-10 mM and 1e-9 uS at the default 1e-3)
    na0 (mM) <1e-7> na1 (mM) <1e-7> na2 (mM) <1e-7> na3 (mM) <1e-7> na4 (mM) <1e-7> na5 (mM) <1e-7> nah (mM) <1e-7>
    k0 (mM) <1e-7> k1 (mM) <1e-7> k2 (mM) <1e-7> k3 (mM) <1e-7> k4 (mM) <1e-7> k5 (mM) <1e-7> kh (mM) <1e-7>
    cl0 (mM) <1e-7> cl1 (mM) <1e-7> cl2 (mM) <1e-7> cl3 (mM) <1e-7> cl4 (mM) <1e-7> cl5 (mM) <1e-7> clh (mM) <1e-7>
    ca0 (mM) <1e-7> ca1 (mM) <1e-7> ca2 (mM) <1e-7> ca3 (mM) <1e-7> ca4 (mM) <1e-7> ca5 (mM) <1e-7> cah (mM) <1e-7>
    an0 (mM) <1e-7> an1 (mM) <1e-7> an2 (mM) <1e-7> an3 (mM) <1e-7> an4 (mM) <1e-7> an5 (mM) <1e-7> anh (mM) <1e-7>
    A (uS) <1e-6>
    B (uS) <1e-6>
    An (uS) <1e-6>
    Bn (uS) <1e-6>
    m (1)
    h (1)
}

INCLUDE "hh_rates.inc"
INCLUDE "boltzmann.inc"
INCLUDE "mg_block.inc"
INCLUDE "spine_ions_checks.inc"
INCLUDE "head_solver.inc"

INITIAL {
    LOCAL s, j, tp, am, bm, ah, bh, k
    invalid = 0
    tinvalid = -1
    niter = 0
    check_parameters()
    if (badparam != 0) {
        refused = 1
    } else {
        refused = 0
    }
    setup()
    FROM s = 0 TO NSP - 1 {
        cfl[s] = cfloor_frac*cdend[s]
        FROM j = 0 TO NP - 1 {
            if (refused == 0) {
                c[s*NP + j] = cdend[s]
            } else {
                : (a refused spine's states: 0, finite whatever its inputs)
                c[s*NP + j] = 0
            }
        }
    }
    ca_rest = cai
    store_states()
    t_solved = -1e300
    t_refreshed = -1e300
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
    x_last = 0
    m = 0
    h = 1
    : the HH gates at their steady state of the resting head (a fixed point: iterate)
    FROM k = 0 TO 19 {
        if (refused == 0) {
            balance_head(v)
        } else {
            vhead = v
        }
        am = alpha_m(vhead)
        bm = beta_m(vhead)
        ah = alpha_h(vhead)
        bh = beta_h(vhead)
        m = am/(am + bm)
        h = ah/(ah + bh)
    }
    currents(v)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    : v passed explicitly: with CONDUCTANCE, nocmodl's nrn_cur hands the BREAKPOINT
    : the node voltage but does not update the copy a PROCEDURE would read
    currents(v)
    CONDUCTANCE g_na USEION na
    CONDUCTANCE g_k USEION k
    CONDUCTANCE g_cl USEION cl
    CONDUCTANCE g_ca USEION ca
    CONDUCTANCE g_a
}

DERIVATIVE states {
    : (the derivatives use LOCALs and ASSIGNED arrays only: CoreNEURON's NMODL cannot
    : parse units in them)
    LOCAL fx, k, am, bm, ah, bh
    load_states()
    : Fixed step: this state update comes half a step after the BREAKPOINT (stamped
    : t_solved; taken as the fixed step's when it comes between 0.25 and 0.75 dt after
    : it, no float equality of times); there the concentrations take the backward-Euler
    : step of the neck and head (rates of the BREAKPOINT's solve: the step's start), written as
    : the rate (c_new - c)/dt, which cnexp's update c + dt c' applies exactly. Under
    : CVODE (every evaluation at the time of its BREAKPOINT) the exact derivatives, with
    : their diagonal -qd for CVODE's Newton matrix (the term is 0 in value).
    fx = 0
    if (t - t_solved > 0.25*dt && t - t_solved < 0.75*dt) {
        fx = 1
        : the synapses first, exactly (as cnexp would), so that the head solve at the
        : step's end sees them as the next BREAKPOINT will
        decay_synapses()
    }
    if (refused == 1) {
        FROM k = 0 TO NS - 1 {
            dcs[k] = 0
            qd[k] = 0
        }
    } else if (fx == 1) {
        : the link rates and head sources of the BREAKPOINT's solve (the same
        : concentrations and synaptic states, v of the step's start): one head solve per
        : fixed step, not two (measured: see the note at the end of backward_euler)
        backward_euler()
    } else {
        balance_head(v)
        derivatives()
    }
    if (fx == 1) {
        na0' = dcs[0]
        na1' = dcs[1]
        na2' = dcs[2]
        na3' = dcs[3]
        na4' = dcs[4]
        na5' = dcs[5]
        nah' = dcs[6]
        k0' = dcs[7]
        k1' = dcs[8]
        k2' = dcs[9]
        k3' = dcs[10]
        k4' = dcs[11]
        k5' = dcs[12]
        kh' = dcs[13]
        cl0' = dcs[14]
        cl1' = dcs[15]
        cl2' = dcs[16]
        cl3' = dcs[17]
        cl4' = dcs[18]
        cl5' = dcs[19]
        clh' = dcs[20]
        ca0' = dcs[21]
        ca1' = dcs[22]
        ca2' = dcs[23]
        ca3' = dcs[24]
        ca4' = dcs[25]
        ca5' = dcs[26]
        cah' = dcs[27]
        an0' = dcs[28]
        an1' = dcs[29]
        an2' = dcs[30]
        an3' = dcs[31]
        an4' = dcs[32]
        an5' = dcs[33]
        anh' = dcs[34]
    } else {
        na0' = dcs[0] - qd[0]*(na0 - c[0])
        na1' = dcs[1] - qd[1]*(na1 - c[1])
        na2' = dcs[2] - qd[2]*(na2 - c[2])
        na3' = dcs[3] - qd[3]*(na3 - c[3])
        na4' = dcs[4] - qd[4]*(na4 - c[4])
        na5' = dcs[5] - qd[5]*(na5 - c[5])
        nah' = dcs[6] - qd[6]*(nah - c[6])
        k0' = dcs[7] - qd[7]*(k0 - c[7])
        k1' = dcs[8] - qd[8]*(k1 - c[8])
        k2' = dcs[9] - qd[9]*(k2 - c[9])
        k3' = dcs[10] - qd[10]*(k3 - c[10])
        k4' = dcs[11] - qd[11]*(k4 - c[11])
        k5' = dcs[12] - qd[12]*(k5 - c[12])
        kh' = dcs[13] - qd[13]*(kh - c[13])
        cl0' = dcs[14] - qd[14]*(cl0 - c[14])
        cl1' = dcs[15] - qd[15]*(cl1 - c[15])
        cl2' = dcs[16] - qd[16]*(cl2 - c[16])
        cl3' = dcs[17] - qd[17]*(cl3 - c[17])
        cl4' = dcs[18] - qd[18]*(cl4 - c[18])
        cl5' = dcs[19] - qd[19]*(cl5 - c[19])
        clh' = dcs[20] - qd[20]*(clh - c[20])
        ca0' = dcs[21] - qd[21]*(ca0 - c[21])
        ca1' = dcs[22] - qd[22]*(ca1 - c[22])
        ca2' = dcs[23] - qd[23]*(ca2 - c[23])
        ca3' = dcs[24] - qd[24]*(ca3 - c[24])
        ca4' = dcs[25] - qd[25]*(ca4 - c[25])
        ca5' = dcs[26] - qd[26]*(ca5 - c[26])
        cah' = dcs[27] - qd[27]*(cah - c[27])
        an0' = dcs[28] - qd[28]*(an0 - c[28])
        an1' = dcs[29] - qd[29]*(an1 - c[29])
        an2' = dcs[30] - qd[30]*(an2 - c[30])
        an3' = dcs[31] - qd[31]*(an3 - c[31])
        an4' = dcs[32] - qd[32]*(an4 - c[32])
        an5' = dcs[33] - qd[33]*(an5 - c[33])
        anh' = dcs[34] - qd[34]*(anh - c[34])
    }
    : synapses: double exponentials; the fixed step's were decayed above (at rest,
    : both states exactly 0: nothing to do)
    if (fx == 1 || (A == 0 && B == 0)) {
        A' = 0
        B' = 0
    } else {
        A' = -A/tau1
        B' = -B/tau2
    }
    if (fx == 1 || (An == 0 && Bn == 0)) {
        An' = 0
        Bn' = 0
    } else {
        An' = -An/nmda_tau1
        Bn' = -Bn/nmda_tau2
    }
    : HH gates of the head ring
    if (gna_head > 0) {
        am = alpha_m(vhead)
        bm = beta_m(vhead)
        ah = alpha_h(vhead)
        bh = beta_h(vhead)
        m' = am*(1 - m) - bm*m
        h' = ah*(1 - h) - bh*h
    } else {
        m' = 0
        h' = 0
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
}

PROCEDURE load_states() {
    : the concentration states into the working array c (species-major: na, k, cl, ca,
    : anion; cells 0..NC-1, then the head)
    c[0] = na0
    c[1] = na1
    c[2] = na2
    c[3] = na3
    c[4] = na4
    c[5] = na5
    c[6] = nah
    c[7] = k0
    c[8] = k1
    c[9] = k2
    c[10] = k3
    c[11] = k4
    c[12] = k5
    c[13] = kh
    c[14] = cl0
    c[15] = cl1
    c[16] = cl2
    c[17] = cl3
    c[18] = cl4
    c[19] = cl5
    c[20] = clh
    c[21] = ca0
    c[22] = ca1
    c[23] = ca2
    c[24] = ca3
    c[25] = ca4
    c[26] = ca5
    c[27] = cah
    c[28] = an0
    c[29] = an1
    c[30] = an2
    c[31] = an3
    c[32] = an4
    c[33] = an5
    c[34] = anh
}

PROCEDURE store_states() {
    : the working array c into the concentration states (INITIAL)
    na0 = c[0]
    na1 = c[1]
    na2 = c[2]
    na3 = c[3]
    na4 = c[4]
    na5 = c[5]
    nah = c[6]
    k0 = c[7]
    k1 = c[8]
    k2 = c[9]
    k3 = c[10]
    k4 = c[11]
    k5 = c[12]
    kh = c[13]
    cl0 = c[14]
    cl1 = c[15]
    cl2 = c[16]
    cl3 = c[17]
    cl4 = c[18]
    cl5 = c[19]
    clh = c[20]
    ca0 = c[21]
    ca1 = c[22]
    ca2 = c[23]
    ca3 = c[24]
    ca4 = c[25]
    ca5 = c[26]
    cah = c[27]
    an0 = c[28]
    an1 = c[29]
    an2 = c[30]
    an3 = c[31]
    an4 = c[32]
    an5 = c[33]
    anh = c[34]
}

PROCEDURE backward_euler() {
    : one backward-Euler step of every mobile species (a tridiagonal system over the
    : cells and the head, Thomas algorithm) with the link rates kf, kb set by
    : balance_head; dcs = (c_new - c)/dt. wd holds the reciprocal pivots: one division
    : per node instead of four (measured on the 1000-spine benchmark: ratio to
    : SpnpSpine mode 2 15.1x -> 14.2x, medians of 3 rounds). (LOCALs: numbers in
    : um3/ms, mM um3/ms)
    LOCAL s, j, b, dg, up, r, w, rtau, vol_dt
    rtau = 1/(dt/(1 (ms)))
    FROM s = 0 TO NSP - 1 {
        b = s*NP
        if (ds[s] > 0) {
            FROM j = 0 TO NC {
                vol_dt = vol[b + j]/(1 (um3))*rtau
                dg = vol_dt + kb[b + j]/(1 (um3/ms))
                r = vol_dt*c[b + j]/(1 (mM))
                if (j < NC) {
                    dg = dg + kf[b + j + 1]/(1 (um3/ms))
                    up = -kb[b + j + 1]/(1 (um3/ms))
                } else {
                    up = 0
                    r = r + src[s]/(1 (mM um3/ms))
                    if (s == 3) {
                        dg = dg + kpump/(1 (um3/ms))
                        r = r + kpump*ca_rest/(1 (mM um3/ms))
                    }
                }
                if (j == 0) {
                    r = r + kf[b]*cdend[s]/(1 (mM um3/ms))
                } else {
                    : eliminate the lower diagonal (-kf of this link) with the row above
                    w = -kf[b + j]/(1 (um3/ms))*wd[j - 1]
                    dg = dg - w*wu[j - 1]
                    r = r - w*wr[j - 1]
                }
                wd[j] = 1/dg
                wu[j] = up
                wr[j] = r
            }
            : back substitution
            wx[NC] = wr[NC]*wd[NC]
            FROM j = 1 TO NC {
                wx[NC - j] = (wr[NC - j] - wu[NC - j]*wx[NC - j + 1])*wd[NC - j]
            }
            FROM j = 0 TO NC {
                dcs[b + j] = (wx[j] - c[b + j]/(1 (mM)))*rtau*(1 (mM/ms))
                c[b + j] = wx[j]*(1 (mM))
            }
        } else {
            FROM j = 0 TO NC {
                dcs[b + j] = 0
            }
        }
    }
    : the head solved at the step's end (this v, the new concentrations): the next
    : BREAKPOINT, at the same v, reuses it unless an input changed (an event, a played
    : current): one head solve per step instead of two, and the recorded vhead, ineck
    : are those of the step's end (measured on the 1000-spine benchmark, with the
    : synapses decayed before it: 4.26 -> 2.03 head evaluations per step, ratio to
    : SpnpSpine mode 2 20.5x -> 17.2x)
    balance_head(v)
    t_refreshed = t
    stamp_inputs(v)
}

PROCEDURE decay_synapses() {
    : one fixed step of the synaptic states: their exact exponential decay over dt.
    : A state below 1e-290 uS is set to exactly 0: decaying further it would stick as a
    : subnormal number (its decrement rounds to 0) and make every operation on it a slow
    : microcode assist (measured: 47 % of the AMPA A states sat there at the end of the
    : 1000-spine, 5 Hz benchmark; 1e-290 uS is no conductance at all)
    if (A != 0 || B != 0) {
        A = A*exp(-dt/tau1)
        B = B*exp(-dt/tau2)
        if (fabs(A/(1 (uS))) < 1e-290) {
            A = 0
        }
        if (fabs(B/(1 (uS))) < 1e-290) {
            B = 0
        }
    }
    if (An != 0 || Bn != 0) {
        An = An*exp(-dt/nmda_tau1)
        Bn = Bn*exp(-dt/nmda_tau2)
        if (fabs(An/(1 (uS))) < 1e-290) {
            An = 0
        }
        if (fabs(Bn/(1 (uS))) < 1e-290) {
            Bn = 0
        }
    }
}

PROCEDURE stamp_inputs(vv (mV)) {
    : the inputs of a head solve besides the concentration states (compared by
    : inputs_changed before the solve is reused)
    inp[0] = vv/(1 (mV))
    inp[1] = A/(1 (uS))
    inp[2] = B/(1 (uS))
    inp[3] = An/(1 (uS))
    inp[4] = Bn/(1 (uS))
    inp[5] = m
    inp[6] = h
    inp[7] = iinj_na/(1 (nA))
    inp[8] = iinj_k/(1 (nA))
    inp[9] = iinj_ca/(1 (nA))
    inp[10] = gleak/(1 (uS))
    inp[11] = eleak/(1 (mV))
    inp[12] = pk_pna
    inp[13] = mg/(1 (mM))
    inp[14] = ca_frac
    inp[15] = gna_head/(1 (uS))
    inp[16] = ena/(1 (mV))
    inp[17] = gbz_head/(1 (uS))
    inp[18] = ebz/(1 (mV))
    inp[19] = vhalf_bz/(1 (mV))
    inp[20] = slope_bz/(1 (mV))
    inp[21] = nai/(1 (mM))
    inp[22] = nao/(1 (mM))
    inp[23] = ki/(1 (mM))
    inp[24] = ko/(1 (mM))
    inp[25] = cli/(1 (mM))
    inp[26] = cai/(1 (mM))
    inp[27] = a_conc/(1 (mM))
}

FUNCTION inputs_changed(vv (mV)) {
    : 1 if an input of the last stamped head solve (stamp_inputs) differs now, else 0
    if (inp[0] != vv/(1 (mV)) ||
        inp[1] != A/(1 (uS)) ||
        inp[2] != B/(1 (uS)) ||
        inp[3] != An/(1 (uS)) ||
        inp[4] != Bn/(1 (uS)) ||
        inp[5] != m ||
        inp[6] != h ||
        inp[7] != iinj_na/(1 (nA)) ||
        inp[8] != iinj_k/(1 (nA)) ||
        inp[9] != iinj_ca/(1 (nA)) ||
        inp[10] != gleak/(1 (uS)) ||
        inp[11] != eleak/(1 (mV)) ||
        inp[12] != pk_pna ||
        inp[13] != mg/(1 (mM)) ||
        inp[14] != ca_frac ||
        inp[15] != gna_head/(1 (uS)) ||
        inp[16] != ena/(1 (mV)) ||
        inp[17] != gbz_head/(1 (uS)) ||
        inp[18] != ebz/(1 (mV)) ||
        inp[19] != vhalf_bz/(1 (mV)) ||
        inp[20] != slope_bz/(1 (mV)) ||
        inp[21] != nai/(1 (mM)) ||
        inp[22] != nao/(1 (mM)) ||
        inp[23] != ki/(1 (mM)) ||
        inp[24] != ko/(1 (mM)) ||
        inp[25] != cli/(1 (mM)) ||
        inp[26] != cai/(1 (mM)) ||
        inp[27] != a_conc/(1 (mM))) {
        inputs_changed = 1
    } else {
        inputs_changed = 0
    }
}

PROCEDURE derivatives() {
    : the time derivatives of the concentrations (CVODE) and their diagonal rates qd.
    : (LOCALs: numbers in mM um3/ms and um3/ms)
    LOCAL s, j, b, fin, fout, q
    FROM s = 0 TO NSP - 1 {
        b = s*NP
        FROM j = 0 TO NC {
            if (j == 0) {
                fin = (kf[b]*cdend[s] - kb[b]*c[b])/(1 (mM um3/ms))
            } else {
                fin = (kf[b + j]*c[b + j - 1] - kb[b + j]*c[b + j])/(1 (mM um3/ms))
            }
            q = kb[b + j]/(1 (um3/ms))
            if (j < NC) {
                fout = (kf[b + j + 1]*c[b + j] - kb[b + j + 1]*c[b + j + 1])/(1 (mM um3/ms))
                q = q + kf[b + j + 1]/(1 (um3/ms))
            } else {
                fout = -src[s]/(1 (mM um3/ms))
                if (s == 3) {
                    fout = fout + kpump*(c[b + j] - ca_rest)/(1 (mM um3/ms))
                    q = q + kpump/(1 (um3/ms))
                }
            }
            dcs[b + j] = (fin - fout)/(vol[b + j]/(1 (um3)))*(1 (mM/ms))
            qd[b + j] = q/(vol[b + j]/(1 (um3)))*(1 (/ms))
        }
    }
}

PROCEDURE setup() {
    LOCAL gam, vn, j, vh
    vt = R*(celsius + 273.15 (degC))/FARADAY
    zs[0] = 1
    zs[1] = 1
    zs[2] = -1
    zs[3] = 2
    zs[4] = -1
    ds[0] = d_na
    ds[1] = d_k
    ds[2] = d_cl
    ds[3] = d_ca
    ds[4] = d_a
    : the species that move (the anion last: immobile unless d_a > 0); the rates of
    : the others stay 0
    nmob = NSP - 1
    if (d_a > 0) {
        nmob = NSP
    }
    FROM j = 0 TO NS - 1 {
        kf[j] = 0
        kb[j] = 0
    }
    dendrite_values()
    if (refused == 1) {
        : placeholders that keep the arithmetic finite (a refused spine never solves)
        gam = 1 (/um)
        vn = 1 (um3)
        vh = 1 (um3)
    } else {
        gam = gamma
        if (gam == 0) {
            gam = neck_len/(PI*neck_diam*neck_diam/4)
        }
        vn = neck_vol
        if (vn == 0) {
            vn = neck_len*PI*neck_diam*neck_diam/4
        }
        vh = PI*head_diam*head_diam*head_diam/6
    }
    : links: half a cell at each end, a whole cell between cells
    alink[0] = 2*NC/gam
    FROM j = 1 TO NC - 1 {
        alink[j] = NC/gam
    }
    alink[NC] = 2*NC/gam
    FROM j = 0 TO NS - 1 {
        vol[j] = vn/NC
    }
    FROM j = 0 TO NSP - 1 {
        vol[j*NP + NC] = vh
    }
    vol[3*NP + NC] = vh*(1 + ca_buffer)
    kpump = vh*(1 + ca_buffer)/ca_tau
}

PROCEDURE dendrite_values() {
    cdend[0] = nai
    cdend[1] = ki
    cdend[2] = cli
    cdend[3] = cai
    cdend[4] = a_conc
}

FUNCTION bern(y (1)) (1) {
    : y/(1 - exp(-y)), smooth through y = 0 (series there), 0 for y -> -inf
    if (fabs(y) < 1e-4) {
        bern = 1 + y/2 + y*y/12
    } else if (y < -700) {
        bern = 0
    } else {
        bern = y/(1 - exp(-y))
    }
}

FUNCTION dbern(y (1)) (1) {
    : d bern/dy
    LOCAL e
    if (fabs(y) < 1e-4) {
        dbern = 0.5 + y/6
    } else if (y < -700) {
        dbern = 0
    } else if (y > 700) {
        dbern = 1
    } else {
        e = exp(-y)
        dbern = (1 - e - y*e)/((1 - e)*(1 - e))
    }
}

PROCEDURE head_currents(vh (mV)) {
    : the currents into the head by ion at vhead = vh: ih_na, ih_k, ih_ca [nA] (the
    : pump's apart, in ipump) and their slope conductance gh = -d(sum)/d vh [uS].
    : (LOCALs are plain numbers in mV, mM, uS, nA: modlunit gives LOCALs no units)
    LOCAL u, cn, ck, no, kout, cnorm, ga, gn, bl, dbl, mono, dmono, pna, pk, dpna, dpk, act, dact, gs, w
    u = vh/vt
    cn = c[NC]/(1 (mM))
    ck = c[NP + NC]/(1 (mM))
    if (cn < 0) { cn = 0 }
    if (ck < 0) { ck = 0 }
    no = nao/(1 (mM))
    kout = ko/(1 (mM))
    cnorm = no + pk_pna*kout
    ih_na = iinj_na
    ih_k = iinj_k - gleak*(vh - eleak)
    ih_ca = iinj_ca
    gh_na = 0
    gh_k = gleak
    gh_ca = 0
    : hcurv: a bound of |d2 ihead/d vh2| [uS/mV, as a number] over all vh, -1 where
    : none is known (NMDA, the Boltzmann ring); the leak, the injections and the HH
    : ring (gates fixed within a solve) are linear in vh
    hcurv = 0
    ga = (B - A)/(1 (uS))
    gn = (Bn - An)/(1 (uS))
    if (ga != 0 || gn != 0) {
        : GHK shape of Na and K (outward positive, per unit conductance) [mV], slopes [1]
        pna = vt/(1 (mV))*(cn*bern(u) - no*bern(-u))/cnorm
        dpna = (cn*dbern(u) + no*dbern(-u))/cnorm
        pk = pk_pna*vt/(1 (mV))*(ck*bern(u) - kout*bern(-u))/cnorm
        dpk = pk_pna*(ck*dbern(u) + kout*dbern(-u))/cnorm
        ih_na = ih_na - ga*pna*(1 (nA))
        ih_k = ih_k - ga*pk*(1 (nA))
        gh_na = gh_na + ga*dpna*(1 (uS))
        gh_k = gh_k + ga*dpk*(1 (uS))
        : |bern''| <= 1/6 (its maximum, at y = 0), so |d2 (ga pna)/d vh2| <= ga (cn + no)/(6 vt cnorm)
        hcurv = fabs(ga)*(cn + no + pk_pna*(ck + kout))/(6*vt/(1 (mV))*cnorm)
        if (gn != 0) {
            hcurv = -1
            bl = mg_block(vh, mg/(3.57 (mM)))
            dbl = 0.062*bl*(1 - bl)
            ih_na = ih_na - gn*bl*pna*(1 (nA))
            ih_k = ih_k - gn*bl*pk*(1 (nA))
            gh_na = gh_na + gn*(bl*dpna + dbl*pna)*(1 (uS))
            gh_k = gh_k + gn*(bl*dpk + dbl*pk)*(1 (uS))
            mono = -gn*bl*(pna + pk)
            if (mono > 0) {
                : Ca: ca_frac of the inward NMDA current
                dmono = -gn*(bl*(dpna + dpk) + dbl*(pna + pk))
                w = ca_frac/(1 - ca_frac)
                ih_ca = ih_ca + w*mono*(1 (nA))
                gh_ca = gh_ca - w*dmono*(1 (uS))
            }
        }
    }
    if (gna_head > 0) {
        gs = gna_head*m*m*m*h/(1 (uS))
        ih_na = ih_na - gs*(vh - ena)*(1 (uS))
        gh_na = gh_na + gs*(1 (uS))
    }
    if (gbz_head > 0) {
        hcurv = -1
        act = boltzmann_act(vh, vhalf_bz, slope_bz)
        dact = act*(1 - act)/(slope_bz/(1 (mV)))
        ih_na = ih_na - gbz_head*act*(vh - ebz)
        gh_na = gh_na + gbz_head*(act + dact*(vh - ebz)/(1 (mV)))
    }
    gh = gh_na + gh_k + gh_ca
}

PROCEDURE neck_params() {
    : resistance rneck [MOhm] and EMF eneck [mV] of the neck from the concentrations;
    : sig and gsum of every link for the field (LOCALs: numbers in mM, um2/ms, um)
    LOCAL l, s, cl, cr, ss, gg, rr, ee, zd
    dendrite_values()
    rr = 0
    ee = 0
    FROM l = 0 TO NC {
        ss = 0
        gg = 0
        FROM s = 0 TO nmob - 1 {
            if (l == 0) {
                cl = cdend[s]/(1 (mM))
            } else {
                cl = c[s*NP + l - 1]/(1 (mM))
            }
            cr = c[s*NP + l]/(1 (mM))
            if (cl < 0) { cl = 0 }
            if (cr < 0) { cr = 0 }
            zd = zs[s]*ds[s]/(1 (um2/ms))
            ss = ss + zs[s]*zd*0.5*(cl + cr)
            gg = gg + zd*(cr - cl)
        }
        if (ss < 1e-12) {
            ss = 1e-12
        }
        sig[l] = ss*(1 (mM um2/ms))
        gsum[l] = gg*(1 (mM um2/ms))
        rr = rr + 1/(alink[l]/(1 (um))*ss)
        ee = ee - gg/ss
    }
    rneck = vt*rr/(FN*(1 (um mM um2/ms)))
    eneck = vt*ee
}

PROCEDURE neck_law(x (mV)) {
    : the neck for head_solver.inc: linear in x = vhead - v given the concentrations
    : (rneck, eneck from neck_params)
    neck_current = (x - eneck)/rneck
    neck_slope = 1/rneck
    neck_curvature = 0
}

PROCEDURE head_law(vh (mV)) {
    : the head's membrane for head_solver.inc: the ions' currents into the head (pump
    : out), their slope and a bound of their curvature (hcurv, -1 where none is known)
    head_currents(vh)
    head_current = ih_na + ih_k + ih_ca - ipump
    head_slope = gh
    head_curvature = hcurv*(1 (uS/mV))
}

PROCEDURE balance_head(vv (mV)) {
    : the head balance (x - eneck)/rneck = ihead(vv + x), x = vhead - vv, by the one
    : head solver (head_solver.inc) from the last solution; then the link rates of
    : every link and the head sources. LOCALs: numbers in mV.
    LOCAL x, l, s, du, b
    neck_params()
    ipump = 2*FN*kpump*(c[3*NP + NC] - ca_rest)
    x = solve_head(vv, x_last)
    if (root_status0 == 2) {
        : the accepted final Newton step: each ion's current moves along its own slope
        : (the total as head_solver.inc moved it), so every species' moles balance
        ih_na = ih_na - gh_na*root_dx0
        ih_k = ih_k - gh_k*root_dx0
        ih_ca = ih_ca - gh_ca*root_dx0
    } else if (root_status0 == 3) {
        set_flag(1)
    }
    niter = niter + root_evals0
    x_last = x
    vhead = vv + x_last
    ineck = (x_last - eneck)/rneck
    if (gh*rneck > -1) {
        gtot = gh/(1 + gh*rneck)
    } else {
        : at a fold of the head balance: no finite series conductance
        gtot = 1/rneck
    }
    : the field and the link rates of every species, the head sources
    FROM l = 0 TO NL - 1 {
        du = (ineck/(FN*alink[l]) - gsum[l])/sig[l]
        FROM s = 0 TO nmob - 1 {
            b = s*NP + l
            kf[b] = ds[s]*alink[l]*(1 - zs[s]*du/2)
            kb[b] = ds[s]*alink[l]*(1 + zs[s]*du/2)
        }
    }
    src[0] = ih_na/FN
    src[1] = ih_k/FN
    src[2] = 0
    src[3] = ih_ca/(2*FN)
    src[4] = 0
    : outputs (never negative: past a run-out the states may be)
    nahead = c[NC]
    khead = c[NP + NC]
    clhead = c[2*NP + NC]
    cahead = c[3*NP + NC]
    ahead = c[4*NP + NC]
    if (nahead < 0) { nahead = 0 }
    if (khead < 0) { khead = 0 }
    if (clhead < 0) { clhead = 0 }
    if (cahead < 0) { cahead = 0 }
    if (ahead < 0) { ahead = 0 }
    gampa = B - A
    gnmda = Bn - An
}

PROCEDURE currents(vv (mV)) {
    : the neck's flows at the dendrite end as ionic currents [nA, outward], their
    : share of di/dv (the transference numbers at the dendrite link times gtot)
    LOCAL s, q, t0, cl, cr
    : (stamped for every spine, refused or not: the fixed step's state update half a
    : step later then takes its own branch, whose rates are all 0 for a refused spine)
    t_solved = t
    if (refused == 1) {
        ina = 0
        ik = 0
        icl = 0
        ica = 0
        ia = 0
        g_na = 0
        g_k = 0
        g_cl = 0
        g_ca = 0
        g_a = 0
        gtot = 0
        ineck = 0
        vhead = vv
    } else {
        : the solve of the fixed step's state update half a step before (at this v,
        : these concentrations) is reused when none of its inputs changed since
        if (t - t_refreshed < 0.25*dt || t - t_refreshed > 0.75*dt || inputs_changed(vv) == 1) {
            load_states()
            balance_head(vv)
        }
        check_validity()
        FROM s = 0 TO NSP - 1 {
            : q: the flow from the dendrite into the neck [mM um3/ms]
            q = (kf[s*NP]*cdend[s] - kb[s*NP]*c[s*NP])/(1 (mM um3/ms))
            cl = cdend[s]/(1 (mM))
            cr = c[s*NP]/(1 (mM))
            if (cl < 0) { cl = 0 }
            if (cr < 0) { cr = 0 }
            t0 = zs[s]*zs[s]*ds[s]/(1 (um2/ms))*0.5*(cl + cr)/(sig[0]/(1 (mM um2/ms)))
            if (s == 0) {
                ina = FN*q*(1 (mM um3/ms))
                g_na = t0*gtot
            } else if (s == 1) {
                ik = FN*q*(1 (mM um3/ms))
                g_k = t0*gtot
            } else if (s == 2) {
                icl = -FN*q*(1 (mM um3/ms))
                g_cl = t0*gtot
            } else if (s == 3) {
                ica = 2*FN*q*(1 (mM um3/ms))
                g_ca = t0*gtot
            } else {
                ia = -FN*q*(1 (mM um3/ms))
                g_a = t0*gtot
            }
        }
    }
}

PROCEDURE set_flag(bit) {
    : add the flag bit (1, 2 or 4) to invalid unless it is there; the first stamps tinvalid
    if (floor(invalid/bit) - 2*floor(invalid/(2*bit)) < 0.5) {
        invalid = invalid + bit
        if (tinvalid < 0) {
            tinvalid = t
        }
    }
}

PROCEDURE check_validity() {
    LOCAL s, j
    if (vhead > 1000 (mV) || vhead < -1000 (mV)) {
        set_flag(4)
    }
    FROM s = 0 TO NSP - 1 {
        if (ds[s] > 0 && cfl[s] > 0) {
            FROM j = 0 TO NP - 1 {
                if (c[s*NP + j] <= cfl[s]) {
                    set_flag(2)
                }
            }
            : the release site: the head's value minus the quasi-steady drop of the
            : species' membrane flux across the head (src: mM um3/ms into the head)
            if (site_gamma > 0 && c[s*NP + NC] + src[s]*site_gamma/ds[s] <= cfl[s]) {
                set_flag(2)
            }
        }
    }
}
