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

Numerics. NC = 3 neck cells of equal length (equal gamma, equal volume: exact for a
cylinder; gamma and neck_vol may be given for another profile) with the concentrations
at their centres, plus the head. The link between neighbouring nodes has the geometric
factor A = 1/(gamma between them) [um] (half a cell at the dendrite end and at the head)
and uses the mean of the two concentrations:

    Q = D A [c_left (1 - z du/2) - c_right (1 + z du/2)],  du = (I/(F A) - sum z D dc)/sigma

the same finite volumes as the Python reference spinepnp.ions.IonSpine (with
head_gamma = 0: give gamma for a junction's access), linear in I, conserving each
species' moles to round-off. Three cells, as mode 2's neck (measured against six: the
-50 pA full-PNP protocol's Na run-out at 1.5275 against 1.528 ms, the full PNP's 1.517;
head potentials within 0.13 % of the full PNP's).
States. Per species the head c_h and the neck's deviation from the straight profile
between the dendrite's value at finitialize, ref, and the head, e_j = c_j - ref -
x_j (c_h - ref) at the cell centres x_j = (1/6, 1/2, 5/6), in the three cells' modes
    e = m1 (1, 2, 1) + m2 (1, 0, -1) + m3 (1, -1, 1),
the eigenvectors of the cells' exchange (rates 1, 3 and 4 times D A_cell/V_cell); the
cells na0 na1 na2 (k.., cl.., ca.., an..) are outputs. Why: NEURON's CVODE uses only
the diagonal of a DERIVATIVE block's Jacobian; the modes put the neck's diffusion on it.
K follows from electroneutrality where it carries most of the charge (ki above nai, cli
and 2 cai at finitialize, as in a cytoplasm): each node keeps its charge (the neck's
flows carry the same current through every link, the head balance makes the head's
in = out), so K = (that charge) - na + cl + an - 2 ca (the head's Ca counted with its
bound share), and its states follow the others'. This removes the one direction in which
the species' coupling through the field is not small, the conserved charge itself (a
zero eigenvalue: a diagonal Newton matrix cannot resolve it), and one species' step.
Measured, one README spine, three AMPA events, default tolerances: CVODE steps 5164 with
the modes, 3112 with the tolerances below, 443 with K from electroneutrality (mode 1:
204, mode 2: 208). In a binary salt (K absent) every species is integrated.
Fixed step: a backward-Euler step of every integrated species (the field of the step's
start, a tridiagonal solve over cells and head: unconditionally stable, first order),
written into the states with derivatives 0 for cnexp; under CVODE the exact
derivatives. An immobile anion (d_a = 0) keeps a_conc and costs nothing. All states are
scalars, so that NEURON's and CoreNEURON's NMODL translate the block alike (a KINETIC
scheme is not translated by CoreNEURON's NMODL at this size).
The head balance is solved by the one head solver of head_solver.inc (this file defines
its neck_law and head_law; hcurv = -1 passes on "no bound").
When it runs: every BREAKPOINT (the currents) solves the head, sets the field and checks
validity, unless it reuses the refresh below; the fixed step's state update (half a
step later, the same concentrations and synaptic states) takes the backward-Euler step
with that field and then refreshes: the head solved at the step's end (this v, the new
concentrations), which the next BREAKPOINT reuses unless v, an injected current or the
dendrite's concentrations changed or an event arrived: one head solve per step, and a
recorded vhead belongs to the recorded v. CVODE solves at every evaluation.
Parameters are read at every solve (those changed between fixed steps take effect at
the next refresh, within one dt), except the geometry, the diffusion coefficients,
ca_buffer, ca_tau, cfloor_frac and celsius, read at INITIAL (as is the synapses' peak
normalisation).

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
free Ca), ahead (mM), the neck cells na0 na1 na2 .. an0 an1 an2 (mM, from the dendrite end), gampa, gnmda (uS), gtot (uS, di/dv handed to NEURON).
Sources: the electro-diffusion I-V paper (eq 10-14, the multi-species neck), Jahr &
Stevens, J Neurosci 10:3178 (1990); buffer and extrusion defaults: Sabatini, Oertner
& Svoboda, Neuron 33:439 (2002) (capacity ~20, decay ~12 ms).
ENDCOMMENT

DEFINE NC 3          : neck cells

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
    RANGE na0, na1, na2, k0, k1, k2, cl0, cl1, cl2, ca0, ca1, ca2, an0, an1, an2
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
    dt (ms)
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
    : --- the internal values below are plain numbers in the units named (one
    : conversion where a state or parameter enters, none in the arithmetic) ---
    : geometry, set at INITIAL: the links' A = 1/gamma [um] (a_end: the half cells at the
    : dendrite and the head, a_mid: between cells), the cell and head volumes [um3], the
    : head's Ca volume with its buffer, the pump's rate [um3/ms], F in nA ms/(mM um3)
    a_end (1)
    a_mid (1)
    vcell (1)
    vhd (1)
    vhd_ca (1)
    kpump (1)
    fn (1)
    ca_rest (1)
    : the neck cells' concentrations (outputs: from the dendrite end), from the states
    na0 (mM)
    na1 (mM)
    na2 (mM)
    k0 (mM)
    k1 (mM)
    k2 (mM)
    cl0 (mM)
    cl1 (mM)
    cl2 (mM)
    ca0 (mM)
    ca1 (mM)
    ca2 (mM)
    an0 (mM)
    an1 (mM)
    an2 (mM)
    : the straight profile's dendrite end [mM]: the dendrite's values at finitialize
    ref_na (1)
    ref_k (1)
    ref_cl (1)
    ref_ca (1)
    ref_an (1)
    : K from electroneutrality (elim_k = 1, see COMMENT "Numerics"): the charge of every
    : cell and of the head [mM] without K, conserved
    elim_k (1)
    qk_cell (1)
    qk_head (1)
    : floors [mM] (cfloor_frac of the dendrite's value at finitialize)
    fl_na (1)
    fl_k (1)
    fl_cl (1)
    fl_ca (1)
    fl_a (1)
    : CVODE: copies of the concentration states (their diagonal terms q (c - w))
    wnah (mM)
    wna_m1 (mM)
    wna_m2 (mM)
    wna_m3 (mM)
    wkh (mM)
    wk_m1 (mM)
    wk_m2 (mM)
    wk_m3 (mM)
    wclh (mM)
    wcl_m1 (mM)
    wcl_m2 (mM)
    wcl_m3 (mM)
    wcah (mM)
    wca_m1 (mM)
    wca_m2 (mM)
    wca_m3 (mM)
    wanh (mM)
    wan_m1 (mM)
    wan_m2 (mM)
    wan_m3 (mM)
    : CVODE: the concentrations' derivatives
    rnah (mM/ms)
    rna_m1 (mM/ms)
    rna_m2 (mM/ms)
    rna_m3 (mM/ms)
    rkh (mM/ms)
    rk_m1 (mM/ms)
    rk_m2 (mM/ms)
    rk_m3 (mM/ms)
    rclh (mM/ms)
    rcl_m1 (mM/ms)
    rcl_m2 (mM/ms)
    rcl_m3 (mM/ms)
    rcah (mM/ms)
    rca_m1 (mM/ms)
    rca_m2 (mM/ms)
    rca_m3 (mM/ms)
    ranh (mM/ms)
    ran_m1 (mM/ms)
    ran_m2 (mM/ms)
    ran_m3 (mM/ms)
    : CVODE's diagonal per species: the modes' rates are 1, 3 and 4 times
    : q_ = D a_mid/vcell (the eigenvalues of the three cells' exchange), the head's
    : qh_ = D/(gamma vh) (its exchange through the whole neck; Ca with its pump)
    q_na (/ms)
    q_k (/ms)
    q_cl (/ms)
    q_ca (/ms)
    q_a (/ms)
    qh_na (/ms)
    qh_k (/ms)
    qh_cl (/ms)
    qh_ca (/ms)
    qh_a (/ms)
    : the field per link du [1] (dendrite-cell 0, cell 0-1, 1-2, cell 2-head), the
    : reciprocal conductivities 1/sigma [ms/(mM um2)] and the diffusion sums g
    du0 (1)
    du1 (1)
    du2 (1)
    du3 (1)
    isg0 (1)
    isg1 (1)
    isg2 (1)
    isg3 (1)
    gs0 (1)
    gs1 (1)
    gs2 (1)
    gs3 (1)
    : results of one species' backward-Euler step, flows, cells or modes
    nw0 (1)
    nw1 (1)
    nw2 (1)
    nwh (1)
    nm1 (1)
    nm2 (1)
    nm3 (1)
    : head currents by ion [nA, into the head], the pump's [nA, out], slopes [uS]
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
    : the fixed step's refresh (see COMMENT "When it runs") and its inputs
    t_solved (ms)
    t_refreshed (ms)
    v_refreshed (mV)
    na_inj_refreshed (nA)
    k_inj_refreshed (nA)
    ca_inj_refreshed (nA)
    nai_refreshed (mM)
    ki_refreshed (mM)
    cli_refreshed (mM)
    cai_refreshed (mM)
    : cached synaptic decay factors exp(-dt/tau) for dt_decay
    dt_decay (ms)
    f_tau1 (1)
    f_tau2 (1)
    f_ntau1 (1)
    f_ntau2 (1)
}

STATE {
    : per species (na, k, cl, ca free, the fixed anion an): the head (h) and the neck's
    : deviation from the straight profile in the three cells' modes (_m1 _m2 _m3; see
    : COMMENT "Numerics"). CVODE's absolute tolerance of each state is cvode.atol()
    : times the factor <.>: at the default atol 1e-3, 1e-6 mM for Na, K, Cl and the
    : anion (1e-7 of a cytoplasm's K), 1e-9 mM for Ca (1e-5 of its 100 nM rest) and
    : 1e-9 uS for the synapses
    nah (mM) <1e-3> na_m1 (mM) <1e-3> na_m2 (mM) <1e-3> na_m3 (mM) <1e-3>
    kh (mM) <1e-3> k_m1 (mM) <1e-3> k_m2 (mM) <1e-3> k_m3 (mM) <1e-3>
    clh (mM) <1e-3> cl_m1 (mM) <1e-3> cl_m2 (mM) <1e-3> cl_m3 (mM) <1e-3>
    cah (mM) <1e-6> ca_m1 (mM) <1e-6> ca_m2 (mM) <1e-6> ca_m3 (mM) <1e-6>
    anh (mM) <1e-3> an_m1 (mM) <1e-3> an_m2 (mM) <1e-3> an_m3 (mM) <1e-3>
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
    LOCAL tp, am, bm, ah, bh, k
    invalid = 0
    tinvalid = -1
    niter = 0
    check_parameters()
    if (badparam != 0) {
        refused = 1
    } else {
        refused = 0
    }
    : K follows from electroneutrality where it is the main carrier of charge (see
    : COMMENT "Numerics")
    elim_k = 0
    if (refused == 0 && ki > nai && ki > cli && ki > 2*cai) {
        elim_k = 1
    }
    setup()
    : every node at the dendrite's concentrations (a refused spine's: 0, finite
    : whatever its inputs): the heads, and the straight profile's ends, at them; no
    : deviation from the straight profile
    if (refused == 0) {
        ref_na = nai/(1 (mM))
        ref_k = ki/(1 (mM))
        ref_cl = cli/(1 (mM))
        ref_ca = cai/(1 (mM))
        ref_an = a_conc/(1 (mM))
    } else {
        ref_na = 0
        ref_k = 0
        ref_cl = 0
        ref_ca = 0
        ref_an = 0
    }
    nah = ref_na*(1 (mM))
    kh = ref_k*(1 (mM))
    clh = ref_cl*(1 (mM))
    cah = ref_ca*(1 (mM))
    anh = ref_an*(1 (mM))
    na_m1 = 0
    na_m2 = 0
    na_m3 = 0
    k_m1 = 0
    k_m2 = 0
    k_m3 = 0
    cl_m1 = 0
    cl_m2 = 0
    cl_m3 = 0
    ca_m1 = 0
    ca_m2 = 0
    ca_m3 = 0
    an_m1 = 0
    an_m2 = 0
    an_m3 = 0
    : each node's charge without K, kept from here on where K follows from
    : electroneutrality (elim_k, set before setup; the head's counts the buffer's bound Ca)
    qk_cell = ref_k + ref_na - ref_cl - ref_an + 2*ref_ca
    qk_head = ref_k + ref_na - ref_cl - ref_an + 2*(1 + ca_buffer)*ref_ca
    neck_cells()
    fl_na = cfloor_frac*nai/(1 (mM))
    fl_k = cfloor_frac*ki/(1 (mM))
    fl_cl = cfloor_frac*cli/(1 (mM))
    fl_ca = cfloor_frac*cai/(1 (mM))
    fl_a = cfloor_frac*a_conc/(1 (mM))
    ca_rest = cai/(1 (mM))
    t_solved = -1e300
    t_refreshed = -1e300
    dt_decay = -1
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
    : (the derivatives use ASSIGNED numbers only: CoreNEURON's NMODL cannot parse
    : units in them)
    LOCAL fx, am, bm, ah, bh
    : Fixed step: this state update comes half a step after the BREAKPOINT (stamped
    : t_solved; taken as the fixed step's when it comes between 0.25 and 0.75 dt after
    : it, no float equality of times); there the concentrations take the backward-Euler
    : step of the neck and head (the field of the BREAKPOINT's solve: the step's start),
    : written into the states by backward_euler, with derivatives 0 for cnexp. Under
    : CVODE (every evaluation at the time of its BREAKPOINT) the exact derivatives, with
    : the diagonal -q for CVODE's Newton matrix: the term q (c - w), w a copy of the
    : state c, is 0 in value.
    fx = 0
    if (t - t_solved > 0.25*dt && t - t_solved < 0.75*dt) {
        fx = 1
        : the synapses first, exactly (as cnexp would), so that the head solve at the
        : step's end sees them as the next BREAKPOINT will
        decay_synapses()
    }
    if (fx == 1) {
        if (refused == 0) {
            backward_euler()
        }
    } else {
        load_states()
        if (refused == 1) {
            zero_rates()
        } else {
            neck_cells()
            balance_head(v)
            derivatives()
        }
    }
    if (fx == 0) {
        : (the fixed step wrote the concentration states itself: they have no
        : derivative in its branch)
        : the modes relax at 1, 3 and 4 times q (their eigenvalues), the head at qh
        nah' = rnah - qh_na*(nah - wnah)
        na_m1' = rna_m1 - q_na*(na_m1 - wna_m1)
        na_m2' = rna_m2 - 3*q_na*(na_m2 - wna_m2)
        na_m3' = rna_m3 - 4*q_na*(na_m3 - wna_m3)
        kh' = rkh - qh_k*(kh - wkh)
        k_m1' = rk_m1 - q_k*(k_m1 - wk_m1)
        k_m2' = rk_m2 - 3*q_k*(k_m2 - wk_m2)
        k_m3' = rk_m3 - 4*q_k*(k_m3 - wk_m3)
        clh' = rclh - qh_cl*(clh - wclh)
        cl_m1' = rcl_m1 - q_cl*(cl_m1 - wcl_m1)
        cl_m2' = rcl_m2 - 3*q_cl*(cl_m2 - wcl_m2)
        cl_m3' = rcl_m3 - 4*q_cl*(cl_m3 - wcl_m3)
        cah' = rcah - qh_ca*(cah - wcah)
        ca_m1' = rca_m1 - q_ca*(ca_m1 - wca_m1)
        ca_m2' = rca_m2 - 3*q_ca*(ca_m2 - wca_m2)
        ca_m3' = rca_m3 - 4*q_ca*(ca_m3 - wca_m3)
        anh' = ranh - qh_a*(anh - wanh)
        an_m1' = ran_m1 - q_a*(an_m1 - wan_m1)
        an_m2' = ran_m2 - 3*q_a*(an_m2 - wan_m2)
        an_m3' = ran_m3 - 4*q_a*(an_m3 - wan_m3)
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
    : the next BREAKPOINT solves the head with these conductances
    t_refreshed = -1e300
}

PROCEDURE load_states() {
    : CVODE: the copies w of the states (their diagonal terms)
    wnah = nah
    wna_m1 = na_m1
    wna_m2 = na_m2
    wna_m3 = na_m3
    wkh = kh
    wk_m1 = k_m1
    wk_m2 = k_m2
    wk_m3 = k_m3
    wclh = clh
    wcl_m1 = cl_m1
    wcl_m2 = cl_m2
    wcl_m3 = cl_m3
    wcah = cah
    wca_m1 = ca_m1
    wca_m2 = ca_m2
    wca_m3 = ca_m3
    wanh = anh
    wan_m1 = an_m1
    wan_m2 = an_m2
    wan_m3 = an_m3
}

PROCEDURE zero_rates() {
    rnah = 0
    rna_m1 = 0
    rna_m2 = 0
    rna_m3 = 0
    rkh = 0
    rk_m1 = 0
    rk_m2 = 0
    rk_m3 = 0
    rclh = 0
    rcl_m1 = 0
    rcl_m2 = 0
    rcl_m3 = 0
    rcah = 0
    rca_m1 = 0
    rca_m2 = 0
    rca_m3 = 0
    ranh = 0
    ran_m1 = 0
    ran_m2 = 0
    ran_m3 = 0
}

PROCEDURE be_species(d, z, cd, c0, c1, c2, ch, volh, srch, kp, rtau) {
    : one backward-Euler step of one species over the three cells and the head (a
    : tridiagonal system, eliminated from the dendrite end) with the field du0..du3 of
    : the step's start; new values in nw0, nw1, nw2, nwh. Numbers: d um2/ms, z, c mM,
    : volh (the head's volume, with the Ca buffer) um3, srch (into the head) mM um3/ms,
    : kp the pump's rate um3/ms (its rest ca_rest), rtau 1/dt /ms.
    : Link l carries Q_l = kf_l c_left - kb_l c_right towards the head.
    LOCAL hz, kf0, kb0, kf1, kb1, kf2, kb2, kf3, kb3, vdt, p0, p1, p2, r0, r1, r2
    hz = 0.5*z
    kf0 = d*a_end*(1 - hz*du0)
    kb0 = d*a_end*(1 + hz*du0)
    kf1 = d*a_mid*(1 - hz*du1)
    kb1 = d*a_mid*(1 + hz*du1)
    kf2 = d*a_mid*(1 - hz*du2)
    kb2 = d*a_mid*(1 + hz*du2)
    kf3 = d*a_end*(1 - hz*du3)
    kb3 = d*a_end*(1 + hz*du3)
    vdt = vcell*rtau
    : rows: -kf_j c_(j-1) + (vol rtau + kb_j + kf_(j+1)) c_j - kb_(j+1) c_(j+1) = rhs_j;
    : p_j the reciprocal pivots
    p0 = 1/(vdt + kb0 + kf1)
    r0 = vdt*c0 + kf0*cd
    p1 = 1/(vdt + kb1 + kf2 - kf1*kb1*p0)
    r1 = vdt*c1 + kf1*r0*p0
    p2 = 1/(vdt + kb2 + kf3 - kf2*kb2*p1)
    r2 = vdt*c2 + kf2*r1*p1
    nwh = (volh*rtau*ch + srch + kp*ca_rest + kf3*r2*p2)/(volh*rtau + kb3 + kp - kf3*kb3*p2)
    nw2 = (r2 + kb3*nwh)*p2
    nw1 = (r1 + kb2*nw2)*p1
    nw0 = (r0 + kb1*nw1)*p0
}

FUNCTION link_flow(d, z, a, du, cl, cr) {
    : the Nernst-Planck flow [mM um3/ms] of one species (d um2/ms, valence z) through a
    : link of factor a [um] and field du from the node with cl to the node with cr [mM]
    link_flow = d*a*(cl*(1 - 0.5*z*du) - cr*(1 + 0.5*z*du))
}

PROCEDURE flows_species(d, z, cd, c0, c1, c2, ch, volh, srch, kp) {
    : the exact time derivatives of one species [mM/ms] in nw0, nw1, nw2, nwh (CVODE);
    : arguments as be_species
    LOCAL q0, q1, q2, q3
    q0 = link_flow(d, z, a_end, du0, cd, c0)
    q1 = link_flow(d, z, a_mid, du1, c0, c1)
    q2 = link_flow(d, z, a_mid, du2, c1, c2)
    q3 = link_flow(d, z, a_end, du3, c2, ch)
    nw0 = (q0 - q1)/vcell
    nw1 = (q1 - q2)/vcell
    nw2 = (q2 - q3)/vcell
    nwh = (q3 + srch - kp*(ch - ca_rest))/volh
}

PROCEDURE backward_euler() {
    : the fixed step: every mobile species' backward-Euler step over its cells and head
    : (be_species), the new cells kept and turned into the states (modes_species; their
    : derivatives are 0 in this branch, so cnexp's update leaves them); then the head
    : solved at the step's end (see COMMENT "When it runs")
    LOCAL rtau
    rtau = 1/(dt/(1 (ms)))
    be_species(d_na/(1 (um2/ms)), 1, nai/(1 (mM)), na0/(1 (mM)), na1/(1 (mM)), na2/(1 (mM)), nah/(1 (mM)), vhd, ih_na/(1 (nA))/fn, 0, rtau)
    na0 = nw0*(1 (mM))
    na1 = nw1*(1 (mM))
    na2 = nw2*(1 (mM))
    nah = nwh*(1 (mM))
    modes_species(ref_na, nwh, nw0, nw1, nw2)
    na_m1 = nm1*(1 (mM))
    na_m2 = nm2*(1 (mM))
    na_m3 = nm3*(1 (mM))
    be_species(d_cl/(1 (um2/ms)), -1, cli/(1 (mM)), cl0/(1 (mM)), cl1/(1 (mM)), cl2/(1 (mM)), clh/(1 (mM)), vhd, 0, 0, rtau)
    cl0 = nw0*(1 (mM))
    cl1 = nw1*(1 (mM))
    cl2 = nw2*(1 (mM))
    clh = nwh*(1 (mM))
    modes_species(ref_cl, nwh, nw0, nw1, nw2)
    cl_m1 = nm1*(1 (mM))
    cl_m2 = nm2*(1 (mM))
    cl_m3 = nm3*(1 (mM))
    be_species(d_ca/(1 (um2/ms)), 2, cai/(1 (mM)), ca0/(1 (mM)), ca1/(1 (mM)), ca2/(1 (mM)), cah/(1 (mM)), vhd_ca, ih_ca/(1 (nA))/(2*fn), kpump, rtau)
    ca0 = nw0*(1 (mM))
    ca1 = nw1*(1 (mM))
    ca2 = nw2*(1 (mM))
    cah = nwh*(1 (mM))
    modes_species(ref_ca, nwh, nw0, nw1, nw2)
    ca_m1 = nm1*(1 (mM))
    ca_m2 = nm2*(1 (mM))
    ca_m3 = nm3*(1 (mM))
    if (d_a > 0) {
        be_species(d_a/(1 (um2/ms)), -1, a_conc/(1 (mM)), an0/(1 (mM)), an1/(1 (mM)), an2/(1 (mM)), anh/(1 (mM)), vhd, 0, 0, rtau)
        an0 = nw0*(1 (mM))
        an1 = nw1*(1 (mM))
        an2 = nw2*(1 (mM))
        anh = nwh*(1 (mM))
        modes_species(ref_an, nwh, nw0, nw1, nw2)
        an_m1 = nm1*(1 (mM))
        an_m2 = nm2*(1 (mM))
        an_m3 = nm3*(1 (mM))
    }
    : K: its own step, or from electroneutrality (then its states from those cells)
    if (elim_k == 1) {
        k_from_charge()
        modes_species(ref_k, kh/(1 (mM)), k0/(1 (mM)), k1/(1 (mM)), k2/(1 (mM)))
        k_m1 = nm1*(1 (mM))
        k_m2 = nm2*(1 (mM))
        k_m3 = nm3*(1 (mM))
    } else {
        be_species(d_k/(1 (um2/ms)), 1, ki/(1 (mM)), k0/(1 (mM)), k1/(1 (mM)), k2/(1 (mM)), kh/(1 (mM)), vhd, ih_k/(1 (nA))/fn, 0, rtau)
        k0 = nw0*(1 (mM))
        k1 = nw1*(1 (mM))
        k2 = nw2*(1 (mM))
        kh = nwh*(1 (mM))
        modes_species(ref_k, nwh, nw0, nw1, nw2)
        k_m1 = nm1*(1 (mM))
        k_m2 = nm2*(1 (mM))
        k_m3 = nm3*(1 (mM))
    }
    balance_head(v)
    t_refreshed = t
    v_refreshed = v
    na_inj_refreshed = iinj_na
    k_inj_refreshed = iinj_k
    ca_inj_refreshed = iinj_ca
    nai_refreshed = nai
    ki_refreshed = ki
    cli_refreshed = cli
    cai_refreshed = cai
}

PROCEDURE derivatives() {
    : CVODE: the exact derivatives of every mobile species' cells and head
    : (flows_species), turned into the modes' (modes_species: the same linear map);
    : with elim_k, K's from the others' by electroneutrality (LOCALs: the charge
    : rates of the others per node, mM/ms)
    LOCAL q0, q1, q2, qh
    q0 = 0
    q1 = 0
    q2 = 0
    qh = 0
    flows_species(d_na/(1 (um2/ms)), 1, nai/(1 (mM)), na0/(1 (mM)), na1/(1 (mM)), na2/(1 (mM)), nah/(1 (mM)), vhd, ih_na/(1 (nA))/fn, 0)
    q0 = q0 + 1*nw0
    q1 = q1 + 1*nw1
    q2 = q2 + 1*nw2
    qh = qh + 1*nwh
    rnah = nwh*(1 (mM/ms))
    modes_species(0, nwh, nw0, nw1, nw2)
    rna_m1 = nm1*(1 (mM/ms))
    rna_m2 = nm2*(1 (mM/ms))
    rna_m3 = nm3*(1 (mM/ms))
    flows_species(d_cl/(1 (um2/ms)), -1, cli/(1 (mM)), cl0/(1 (mM)), cl1/(1 (mM)), cl2/(1 (mM)), clh/(1 (mM)), vhd, 0, 0)
    q0 = q0 - 1*nw0
    q1 = q1 - 1*nw1
    q2 = q2 - 1*nw2
    qh = qh - 1*nwh
    rclh = nwh*(1 (mM/ms))
    modes_species(0, nwh, nw0, nw1, nw2)
    rcl_m1 = nm1*(1 (mM/ms))
    rcl_m2 = nm2*(1 (mM/ms))
    rcl_m3 = nm3*(1 (mM/ms))
    flows_species(d_ca/(1 (um2/ms)), 2, cai/(1 (mM)), ca0/(1 (mM)), ca1/(1 (mM)), ca2/(1 (mM)), cah/(1 (mM)), vhd_ca, ih_ca/(1 (nA))/(2*fn), kpump)
    q0 = q0 + 2*nw0
    q1 = q1 + 2*nw1
    q2 = q2 + 2*nw2
    qh = qh + 2*(1 + ca_buffer)*nwh
    rcah = nwh*(1 (mM/ms))
    modes_species(0, nwh, nw0, nw1, nw2)
    rca_m1 = nm1*(1 (mM/ms))
    rca_m2 = nm2*(1 (mM/ms))
    rca_m3 = nm3*(1 (mM/ms))
    if (d_a > 0) {
        flows_species(d_a/(1 (um2/ms)), -1, a_conc/(1 (mM)), an0/(1 (mM)), an1/(1 (mM)), an2/(1 (mM)), anh/(1 (mM)), vhd, 0, 0)
        q0 = q0 - 1*nw0
        q1 = q1 - 1*nw1
        q2 = q2 - 1*nw2
        qh = qh - 1*nwh
        ranh = nwh*(1 (mM/ms))
        modes_species(0, nwh, nw0, nw1, nw2)
        ran_m1 = nm1*(1 (mM/ms))
        ran_m2 = nm2*(1 (mM/ms))
        ran_m3 = nm3*(1 (mM/ms))
    }
    if (elim_k == 1) {
        : the node's charge stays: K's rate is minus the others' charge rate
        rkh = -qh*(1 (mM/ms))
        modes_species(0, -qh, -q0, -q1, -q2)
        rk_m1 = nm1*(1 (mM/ms))
        rk_m2 = nm2*(1 (mM/ms))
        rk_m3 = nm3*(1 (mM/ms))
    } else {
        flows_species(d_k/(1 (um2/ms)), 1, ki/(1 (mM)), k0/(1 (mM)), k1/(1 (mM)), k2/(1 (mM)), kh/(1 (mM)), vhd, ih_k/(1 (nA))/fn, 0)
        rkh = nwh*(1 (mM/ms))
        modes_species(0, nwh, nw0, nw1, nw2)
        rk_m1 = nm1*(1 (mM/ms))
        rk_m2 = nm2*(1 (mM/ms))
        rk_m3 = nm3*(1 (mM/ms))
    }
}

PROCEDURE neck_cells() {
    : the neck cells' concentrations from the states (cells_species)
    cells_species(ref_na, nah/(1 (mM)), na_m1/(1 (mM)), na_m2/(1 (mM)), na_m3/(1 (mM)))
    na0 = nw0*(1 (mM))
    na1 = nw1*(1 (mM))
    na2 = nw2*(1 (mM))
    cells_species(ref_cl, clh/(1 (mM)), cl_m1/(1 (mM)), cl_m2/(1 (mM)), cl_m3/(1 (mM)))
    cl0 = nw0*(1 (mM))
    cl1 = nw1*(1 (mM))
    cl2 = nw2*(1 (mM))
    cells_species(ref_ca, cah/(1 (mM)), ca_m1/(1 (mM)), ca_m2/(1 (mM)), ca_m3/(1 (mM)))
    ca0 = nw0*(1 (mM))
    ca1 = nw1*(1 (mM))
    ca2 = nw2*(1 (mM))
    if (d_a > 0) {
        cells_species(ref_an, anh/(1 (mM)), an_m1/(1 (mM)), an_m2/(1 (mM)), an_m3/(1 (mM)))
        an0 = nw0*(1 (mM))
        an1 = nw1*(1 (mM))
        an2 = nw2*(1 (mM))
    } else {
        an0 = anh
        an1 = anh
        an2 = anh
    }
    if (elim_k == 1) {
        k_from_charge()
    } else {
        cells_species(ref_k, kh/(1 (mM)), k_m1/(1 (mM)), k_m2/(1 (mM)), k_m3/(1 (mM)))
        k0 = nw0*(1 (mM))
        k1 = nw1*(1 (mM))
        k2 = nw2*(1 (mM))
    }
}

PROCEDURE k_from_charge() {
    : K in every cell and the head from the other ions and the node's conserved charge
    : (elim_k = 1): z-weighted sum of all ions = qk_cell (qk_head with bound Ca)
    k0 = (qk_cell - na0/(1 (mM)) + cl0/(1 (mM)) + an0/(1 (mM)) - 2*ca0/(1 (mM)))*(1 (mM))
    k1 = (qk_cell - na1/(1 (mM)) + cl1/(1 (mM)) + an1/(1 (mM)) - 2*ca1/(1 (mM)))*(1 (mM))
    k2 = (qk_cell - na2/(1 (mM)) + cl2/(1 (mM)) + an2/(1 (mM)) - 2*ca2/(1 (mM)))*(1 (mM))
    kh = (qk_head - nah/(1 (mM)) + clh/(1 (mM)) + anh/(1 (mM)) - 2*(1 + ca_buffer)*cah/(1 (mM)))*(1 (mM))
}

PROCEDURE cells_species(ref, ch, m1, m2, m3) {
    : one species' cells nw0 nw1 nw2 from its head ch and modes m1 m2 m3 [numbers, mM]:
    : c_j = ref + x_j (ch - ref) + m1 v1_j + m2 v2_j + m3 v3_j, x_j = (1/6, 1/2, 5/6),
    : v1 = (1, 2, 1), v2 = (1, 0, -1), v3 = (1, -1, 1)
    LOCAL dq
    dq = (ch - ref)/6
    nw0 = ref + dq + m1 + m2 + m3
    nw1 = ref + 3*dq + 2*m1 - m3
    nw2 = ref + 5*dq + m1 - m2 + m3
}

PROCEDURE modes_species(ref, ch, c0, c1, c2) {
    : the inverse of cells_species: one species' modes nm1 nm2 nm3 from its cells and
    : head [numbers, mM], the deviation e_j = c_j - ref - x_j (ch - ref) projected on
    : the orthogonal v_k: m_k = (v_k . e)/(v_k . v_k)
    LOCAL dq, e0, e1, e2
    dq = (ch - ref)/6
    e0 = c0 - ref - dq
    e1 = c1 - ref - 3*dq
    e2 = c2 - ref - 5*dq
    nm1 = (e0 + 2*e1 + e2)/6
    nm2 = (e0 - e2)/2
    nm3 = (e0 - e1 + e2)/3
}

PROCEDURE decay_synapses() {
    : one fixed step of the synaptic states: their exact exponential decay over dt, by
    : factors exp(-dt/tau) cached for the current dt.
    : A state below 1e-290 uS is set to exactly 0: decaying further it would stick as a
    : subnormal number (its decrement rounds to 0) and make every operation on it a slow
    : microcode assist (measured: 47 % of the AMPA A states sat there at the end of the
    : 1000-spine, 5 Hz benchmark; 1e-290 uS is no conductance at all)
    if (dt != dt_decay) {
        f_tau1 = exp(-dt/tau1)
        f_tau2 = exp(-dt/tau2)
        f_ntau1 = exp(-dt/nmda_tau1)
        f_ntau2 = exp(-dt/nmda_tau2)
        dt_decay = dt
    }
    if (A != 0 || B != 0) {
        A = A*f_tau1
        B = B*f_tau2
        if (fabs(A/(1 (uS))) < 1e-290) {
            A = 0
        }
        if (fabs(B/(1 (uS))) < 1e-290) {
            B = 0
        }
    }
    if (An != 0 || Bn != 0) {
        An = An*f_ntau1
        Bn = Bn*f_ntau2
        if (fabs(An/(1 (uS))) < 1e-290) {
            An = 0
        }
        if (fabs(Bn/(1 (uS))) < 1e-290) {
            Bn = 0
        }
    }
}

PROCEDURE setup() {
    LOCAL gam, vn, vh, amid
    vt = R*(celsius + 273.15 (degC))/FARADAY
    fn = FN/(1 (nA ms/mM um3))
    if (refused == 1) {
        : placeholders that keep the arithmetic finite (a refused spine never solves)
        gam = 1
        vn = 1
        vh = 1
    } else {
        gam = gamma/(1 (/um))
        if (gam == 0) {
            gam = neck_len/(PI*neck_diam*neck_diam/4)/(1 (/um))
        }
        vn = neck_vol/(1 (um3))
        if (vn == 0) {
            vn = neck_len*PI*neck_diam*neck_diam/4/(1 (um3))
        }
        vh = PI*head_diam*head_diam*head_diam/6/(1 (um3))
    }
    : links: half a cell at each end, a whole cell between cells
    a_mid = NC/gam
    a_end = 2*NC/gam
    vcell = vn/NC
    vhd = vh
    vhd_ca = vh*(1 + ca_buffer)
    kpump = vhd_ca/(ca_tau/(1 (ms)))
    amid = a_mid/vcell
    q_na = d_na*amid/(1 (um2))
    q_k = d_k*amid/(1 (um2))
    q_cl = d_cl*amid/(1 (um2))
    q_ca = d_ca*amid/(1 (um2))
    q_a = d_a*amid/(1 (um2))
    qh_na = d_na*a_end/(6*vhd)/(1 (um2))
    qh_k = d_k*a_end/(6*vhd)/(1 (um2))
    qh_cl = d_cl*a_end/(6*vhd)/(1 (um2))
    qh_ca = (d_ca/(1 (um2/ms))*a_end/6 + kpump)/vhd_ca*(1 (/ms))
    qh_a = d_a*a_end/(6*vhd)/(1 (um2))
    if (elim_k == 1) {
        q_k = 0
        qh_k = 0
    }
    zero_rates()
}

PROCEDURE head_currents(vh (mV)) {
    : the currents into the head by ion at vhead = vh: ih_na, ih_k, ih_ca [nA] (the
    : pump's apart, in ipump) and their slope conductance gh = -d(sum)/d vh [uS].
    : (LOCALs are plain numbers in mV, mM, uS, nA: modlunit gives LOCALs no units)
    LOCAL u, e, den, bu, bd, dbu, dbd, cn, ck, no, kout, cnorm, ga, gn, bl, dbl, mono, dmono, pna, pk, dpna, dpk, act, dact, gs, w
    u = vh/vt
    cn = nah/(1 (mM))
    ck = kh/(1 (mM))
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
        : the GHK shape B(y) = y/(1 - exp(-y)) at y = u and -u, and its slope, from one
        : exp: with e = exp(-u), B(-u) = e B(u), B'(u) = (1 - e - u e)/(1 - e)^2,
        : B'(-u) = e (u - 1 + e)/(1 - e)^2 (series at |u| < 1e-4, limits past |u| 700)
        if (fabs(u) < 1e-4) {
            bu = 1 + u/2 + u*u/12
            bd = 1 - u/2 + u*u/12
            dbu = 0.5 + u/6
            dbd = 0.5 - u/6
        } else if (u > 700) {
            bu = u
            bd = 0
            dbu = 1
            dbd = 0
        } else if (u < -700) {
            bu = 0
            bd = -u
            dbu = 0
            dbd = 1
        } else {
            e = exp(-u)
            den = 1/(1 - e)
            bu = u*den
            bd = e*bu
            dbu = (1 - e - u*e)*den*den
            dbd = e*(u - 1 + e)*den*den
        }
        : GHK currents of Na and K (outward positive, per unit conductance) [mV],
        : slopes [1]
        pna = vt/(1 (mV))*(cn*bu - no*bd)/cnorm
        dpna = (cn*dbu + no*dbd)/cnorm
        pk = pk_pna*vt/(1 (mV))*(ck*bu - kout*bd)/cnorm
        dpk = pk_pna*(ck*dbu + kout*dbd)/cnorm
        ih_na = ih_na - ga*pna*(1 (nA))
        ih_k = ih_k - ga*pk*(1 (nA))
        gh_na = gh_na + ga*dpna*(1 (uS))
        gh_k = gh_k + ga*dpk*(1 (uS))
        : |B''| <= 1/6 (its maximum, at y = 0), so |d2 (ga pna)/d vh2| <= ga (cn + no)/(6 vt cnorm)
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
    : resistance rneck [MOhm] and EMF eneck [mV] of the neck from the concentrations,
    : with 1/sigma and the diffusion sums g of every link for the field. Per node the
    : sums s = sum z^2 D c and g = sum z D c (concentrations clipped at 0; numbers in
    : mM um2/ms); a link's sigma is the mean of its nodes' s, its g their difference.
    LOCAL dna, dk, dcl, dca, da, sd, s0, s1, s2, sh, gd, g0, g1, g2, gh_, y
    dna = d_na/(1 (um2/ms))
    dk = d_k/(1 (um2/ms))
    dcl = d_cl/(1 (um2/ms))
    dca = d_ca/(1 (um2/ms))
    y = nai/(1 (mM))
    if (y < 0) { y = 0 }
    sd = dna*y
    gd = dna*y
    y = ki/(1 (mM))
    if (y < 0) { y = 0 }
    sd = sd + dk*y
    gd = gd + dk*y
    y = cli/(1 (mM))
    if (y < 0) { y = 0 }
    sd = sd + dcl*y
    gd = gd - dcl*y
    y = cai/(1 (mM))
    if (y < 0) { y = 0 }
    sd = sd + 4*dca*y
    gd = gd + 2*dca*y
    y = na0/(1 (mM))
    if (y < 0) { y = 0 }
    s0 = dna*y
    g0 = dna*y
    y = k0/(1 (mM))
    if (y < 0) { y = 0 }
    s0 = s0 + dk*y
    g0 = g0 + dk*y
    y = cl0/(1 (mM))
    if (y < 0) { y = 0 }
    s0 = s0 + dcl*y
    g0 = g0 - dcl*y
    y = ca0/(1 (mM))
    if (y < 0) { y = 0 }
    s0 = s0 + 4*dca*y
    g0 = g0 + 2*dca*y
    y = na1/(1 (mM))
    if (y < 0) { y = 0 }
    s1 = dna*y
    g1 = dna*y
    y = k1/(1 (mM))
    if (y < 0) { y = 0 }
    s1 = s1 + dk*y
    g1 = g1 + dk*y
    y = cl1/(1 (mM))
    if (y < 0) { y = 0 }
    s1 = s1 + dcl*y
    g1 = g1 - dcl*y
    y = ca1/(1 (mM))
    if (y < 0) { y = 0 }
    s1 = s1 + 4*dca*y
    g1 = g1 + 2*dca*y
    y = na2/(1 (mM))
    if (y < 0) { y = 0 }
    s2 = dna*y
    g2 = dna*y
    y = k2/(1 (mM))
    if (y < 0) { y = 0 }
    s2 = s2 + dk*y
    g2 = g2 + dk*y
    y = cl2/(1 (mM))
    if (y < 0) { y = 0 }
    s2 = s2 + dcl*y
    g2 = g2 - dcl*y
    y = ca2/(1 (mM))
    if (y < 0) { y = 0 }
    s2 = s2 + 4*dca*y
    g2 = g2 + 2*dca*y
    y = nah/(1 (mM))
    if (y < 0) { y = 0 }
    sh = dna*y
    gh_ = dna*y
    y = kh/(1 (mM))
    if (y < 0) { y = 0 }
    sh = sh + dk*y
    gh_ = gh_ + dk*y
    y = clh/(1 (mM))
    if (y < 0) { y = 0 }
    sh = sh + dcl*y
    gh_ = gh_ - dcl*y
    y = cah/(1 (mM))
    if (y < 0) { y = 0 }
    sh = sh + 4*dca*y
    gh_ = gh_ + 2*dca*y
    if (d_a > 0) {
        da = d_a/(1 (um2/ms))
        y = a_conc/(1 (mM))
        if (y < 0) { y = 0 }
        sd = sd + da*y
        gd = gd - da*y
        y = an0/(1 (mM))
        if (y < 0) { y = 0 }
        s0 = s0 + da*y
        g0 = g0 - da*y
        y = an1/(1 (mM))
        if (y < 0) { y = 0 }
        s1 = s1 + da*y
        g1 = g1 - da*y
        y = an2/(1 (mM))
        if (y < 0) { y = 0 }
        s2 = s2 + da*y
        g2 = g2 - da*y
        y = anh/(1 (mM))
        if (y < 0) { y = 0 }
        sh = sh + da*y
        gh_ = gh_ - da*y
    }
    : links (a floor of 1e-12 on sigma: a neck emptied of every carrier conducts nothing)
    isg0 = 0.5*(sd + s0)
    isg1 = 0.5*(s0 + s1)
    isg2 = 0.5*(s1 + s2)
    isg3 = 0.5*(s2 + sh)
    if (isg0 < 1e-12) { isg0 = 1e-12 }
    if (isg1 < 1e-12) { isg1 = 1e-12 }
    if (isg2 < 1e-12) { isg2 = 1e-12 }
    if (isg3 < 1e-12) { isg3 = 1e-12 }
    isg0 = 1/isg0
    isg1 = 1/isg1
    isg2 = 1/isg2
    isg3 = 1/isg3
    gs0 = g0 - gd
    gs1 = g1 - g0
    gs2 = g2 - g1
    gs3 = gh_ - g2
    rneck = vt*((isg0 + isg3)/a_end + (isg1 + isg2)/a_mid)/fn*(1 (MOhm/mV))
    eneck = -vt*(gs0*isg0 + gs1*isg1 + gs2*isg2 + gs3*isg3)
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
    : head solver (head_solver.inc) from the last solution; then the field of every link
    : and the outputs. LOCALs: numbers in mV, nA.
    LOCAL x, ifn
    neck_params()
    ipump = 2*fn*kpump*(cah/(1 (mM)) - ca_rest)*(1 (nA))
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
    : the field of every link: du = (I/(F A) - g)/sigma
    ifn = ineck/(1 (nA))/fn
    du0 = (ifn/a_end - gs0)*isg0
    du1 = (ifn/a_mid - gs1)*isg1
    du2 = (ifn/a_mid - gs2)*isg2
    du3 = (ifn/a_end - gs3)*isg3
    : outputs (never negative: past a run-out the states may be)
    nahead = nah
    if (nahead < 0) { nahead = 0 }
    khead = kh
    if (khead < 0) { khead = 0 }
    clhead = clh
    if (clhead < 0) { clhead = 0 }
    cahead = cah
    if (cahead < 0) { cahead = 0 }
    ahead = anh
    if (ahead < 0) { ahead = 0 }
    gampa = B - A
    gnmda = Bn - An
}

PROCEDURE currents(vv (mV)) {
    : the neck's flows at the dendrite end as ionic currents [nA, outward], their
    : share of di/dv (the transference numbers at the dendrite link times gtot)
    LOCAL gt, dd, cd, c0
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
        : these concentrations) is reused unless v, an injected current or the dendrite's
        : concentrations changed since, or an event arrived (NET_RECEIVE clears it)
        if (t - t_refreshed < 0.25*dt || t - t_refreshed > 0.75*dt || vv != v_refreshed
            || iinj_na != na_inj_refreshed || iinj_k != k_inj_refreshed
            || iinj_ca != ca_inj_refreshed || nai != nai_refreshed || ki != ki_refreshed
            || cli != cli_refreshed || cai != cai_refreshed) {
            neck_cells()
            balance_head(vv)
        }
        check_validity()
        : per species: the current carried by its flow from the dendrite into the neck
        : (link_flow; numbers: um2/ms, mM), and the transference number z^2 D c/sigma
        : of the link (concentrations clipped at 0) times gtot
        gt = 0.5*isg0*gtot/(1 (uS))
        dd = d_na/(1 (um2/ms))
        cd = nai/(1 (mM))
        c0 = na0/(1 (mM))
        ina = fn*link_flow(dd, 1, a_end, du0, cd, c0)*(1 (nA))
        if (cd < 0) { cd = 0 }
        if (c0 < 0) { c0 = 0 }
        g_na = dd*(cd + c0)*gt*(1 (uS))
        dd = d_k/(1 (um2/ms))
        cd = ki/(1 (mM))
        c0 = k0/(1 (mM))
        ik = fn*link_flow(dd, 1, a_end, du0, cd, c0)*(1 (nA))
        if (cd < 0) { cd = 0 }
        if (c0 < 0) { c0 = 0 }
        g_k = dd*(cd + c0)*gt*(1 (uS))
        dd = d_cl/(1 (um2/ms))
        cd = cli/(1 (mM))
        c0 = cl0/(1 (mM))
        icl = -fn*link_flow(dd, -1, a_end, du0, cd, c0)*(1 (nA))
        if (cd < 0) { cd = 0 }
        if (c0 < 0) { c0 = 0 }
        g_cl = dd*(cd + c0)*gt*(1 (uS))
        dd = d_ca/(1 (um2/ms))
        cd = cai/(1 (mM))
        c0 = ca0/(1 (mM))
        ica = 2*fn*link_flow(dd, 2, a_end, du0, cd, c0)*(1 (nA))
        if (cd < 0) { cd = 0 }
        if (c0 < 0) { c0 = 0 }
        g_ca = 4*dd*(cd + c0)*gt*(1 (uS))
        if (d_a > 0) {
            dd = d_a/(1 (um2/ms))
            cd = a_conc/(1 (mM))
            c0 = an0/(1 (mM))
            ia = -fn*link_flow(dd, -1, a_end, du0, cd, c0)*(1 (nA))
            if (cd < 0) { cd = 0 }
            if (c0 < 0) { c0 = 0 }
            g_a = dd*(cd + c0)*gt*(1 (uS))
        } else {
            ia = 0
            g_a = 0
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
    : flag 4: |vhead| > 1000 mV; flag 2: a watched species (floor fl_ > 0) at or below its
    : floor in a cell, the head or the release site (see COMMENT): the head's value minus
    : the quasi-steady drop of the species' membrane flux across the head,
    : c_h + I_s/(z_s F) site_gamma/D_s (numbers: mM; Cl and the anion have no membrane
    : current)
    LOCAL sg, ran_out
    if (vhead > 1000 (mV) || vhead < -1000 (mV)) {
        set_flag(4)
    }
    sg = site_gamma/(1 (/um))/fn
    ran_out = 0
    if (fl_na > 0) {
        if (na0 <= fl_na*(1 (mM)) || na1 <= fl_na*(1 (mM)) || na2 <= fl_na*(1 (mM))
            || nah <= fl_na*(1 (mM))
            || nah/(1 (mM)) + ih_na/(1 (nA))*sg/(d_na/(1 (um2/ms))) <= fl_na) {
            ran_out = 1
        }
    }
    if (fl_k > 0) {
        if (k0 <= fl_k*(1 (mM)) || k1 <= fl_k*(1 (mM)) || k2 <= fl_k*(1 (mM))
            || kh <= fl_k*(1 (mM))
            || kh/(1 (mM)) + ih_k/(1 (nA))*sg/(d_k/(1 (um2/ms))) <= fl_k) {
            ran_out = 1
        }
    }
    if (fl_cl > 0) {
        if (cl0 <= fl_cl*(1 (mM)) || cl1 <= fl_cl*(1 (mM)) || cl2 <= fl_cl*(1 (mM))
            || clh <= fl_cl*(1 (mM))) {
            ran_out = 1
        }
    }
    if (fl_ca > 0) {
        if (ca0 <= fl_ca*(1 (mM)) || ca1 <= fl_ca*(1 (mM)) || ca2 <= fl_ca*(1 (mM))
            || cah <= fl_ca*(1 (mM))
            || cah/(1 (mM)) + 0.5*ih_ca/(1 (nA))*sg/(d_ca/(1 (um2/ms))) <= fl_ca) {
            ran_out = 1
        }
    }
    if (d_a > 0 && fl_a > 0) {
        if (an0 <= fl_a*(1 (mM)) || an1 <= fl_a*(1 (mM)) || an2 <= fl_a*(1 (mM))
            || anh <= fl_a*(1 (mM))) {
            ran_out = 1
        }
    }
    if (ran_out == 1) {
        set_flag(2)
    }
}
