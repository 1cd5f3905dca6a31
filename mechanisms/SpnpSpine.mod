TITLE SpnpSpine: a whole dendritic spine (electro-diffusive neck, head synapses, ring channels) as one point process

COMMENT
A spine as ONE point process placed in a dendrite segment (spinepnp, issue 4; design in
DESIGN.md section 3). The spine head is an internal node in quasi-static balance: at every
evaluation the head voltage vhead solves

    ineck(vhead - v) = ihead(vhead)                                          (1)

where ineck is the current through the neck (positive from the head to the dendrite) and
ihead the sum of the currents entering the head across its membrane. The head capacitance
is dropped (its charging time R0*C_head is ~1 us, far below any dt). The current handed to
the dendrite is then a function of the dendrite's v given the mechanism's states, and its
derivative (the series combination of neck and head slope conductances, supplied through
CONDUCTANCE) makes the coupling implicit.

Sign convention: NEURON point-process currents are outward positive (leaving the
dendrite). The neck current enters the dendrite, so i = -ineck: a depolarising spine shows
a negative i.

Neck laws (x = vhead - v, VT = k T/e from NEURON's celsius):
  mode = 0  Ohmic:    ineck = x / r0. r0 = rneck if rneck > 0, else ra*gamma if ra > 0,
            else the Ohmic limit of the PNP law, VT/isat (mode 0 then differs from
            mode 1 only by the nonlinearity).
  mode = 1  steady electroneutral PNP law (the paper, Cartailler/Holcman et al., eq 5-7,
            15-18 and their generalisation to any profile, corrected as in DESIGN.md
            section 2): ineck = isat*(exp(x/VT) - 1), isat = 2 C D F / gamma,
            gamma = integral dx/S(x) over the neck [1/um]. For x/VT > 50 the exponential
            is continued linearly (C1, still convex) so nothing overflows.
  mode = 2  dynamic electroneutral neck for a binary salt (carrier cation D = diff, anion
            D- = diff_anion). With c the salt concentration:
              ineck = (x - ediff) / rdyn,
              rdyn  = VT/(F (D + D-)) * integral dgamma / c,
              ediff = -VT (D - D-)/(D + D-) ln(chead/conc),
            and c obeys ambipolar diffusion, D_a = 2 D D-/(D + D-), in the neck
            (4 segments of equal gamma, states c1 c2 c3) into a well-mixed head of
            volume pi head_diam^3/6 (state chead) fed by t- ineck/F, t- = D-/(D + D-).
            The resistance integral uses the exact logarithmic mean of c over each
            segment, so the steady state (c linear in gamma) is exactly mode 1:
            chead/conc = exp(x/VT). Concentrations are floored at cmin for the
            conductance; a head emptied of salt (chead -> 0) is a physical end of the
            model: watch chead.
Head currents (positive = into the head):
  iinj (constant), leak gleak (plus a floor conductance gfloor that keeps (1) solvable
  when the neck saturates), AMPA double exponential (tau1, tau2, e_ampa), NMDA double
  exponential (nmda_tau1, nmda_tau2, e_nmda) with Jahr & Stevens (1990) Mg block
  1/(1 + mg/3.57 exp(-0.062 vhead)), a ring of HH Na channels gna_head m^3 h (vhead - ena)
  with the summary's eq 13 rates (alpha_m corrected to a quotient, alpha_h prefactor ah0,
  0.06 by default; identical to spinepnp/channels.py), and an instantaneous Boltzmann ring
  gbz_head (vhead - ebz)/(1 + exp(-(vhead - vhalf_bz)/slope_bz)) (the paper's Fig 3 inset).
  A NetCon event with weights (w_ampa, w_nmda) [uS] opens AMPA and NMDA; the double
  exponentials are normalised so that one event of weight w peaks at w (as Exp2Syn).
Solving (1): the head balance F(x) = ineck(x) - ihead(v + x) is increasing and convex
  with passive head currents; NMDA and the Boltzmann ring can make it non-monotone with
  several roots. Newton from the previous solution (warm start); if F keeps its sign the
  walk continues in the direction -F (the way the dropped head capacitance would move
  vhead), with capped, growing steps; once the sign changes the root is bracketed and
  Newton is safeguarded by bisection. So the physical branch is followed continuously and
  left only at a fold (hysteresis). In mode 1 Newton steps from the left are clipped at
  VT ln(1 + ihead/isat), an upper bound of the root when ihead decreases with vhead.
Outputs: vhead (mV), ineck (nA), reff (MOhm, (vhead - v)/ineck; the slope resistance at
  ineck = 0), chead (mM: head concentration in mode 2, its steady value conc exp(x/VT) in
  mode 1, conc in mode 0), r0 (MOhm, Ohmic limit), isat (nA, mode 1 saturation current;
  an outward current larger than isat cannot be drawn through the neck), gampa, gnmda (uS),
  niter (total evaluations of F, a cost counter).
Sources: the paper (seeds/000_c2a00f66632e34dd.txt, eq 5-7, 14-18), the biophysics
  summary (seeds/002_9e275d18b092ade4.txt, eq 13), Jahr & Stevens, J Neurosci 10:3178
  (1990), DESIGN.md sections 2-3 (the dynamic neck and the embedding).
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
}

ASSIGNED {
    v (mV)
    celsius (degC)
    i (nA)
    vhead (mV)
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
    gam (/um)
    dgam (/um)
    vseg (um3)
    vhd (um3)
    gdif (um3/ms)
    tminus (1)
    fdiff (1)
    gcoef (uS/mM)
    rdyn (MOhm)
    ediff (mV)
    xsol (mV)
    minf (1)
    mtau (ms)
    hinf (1)
    htau (ms)
    expmax (1)
    : inputs of the last head solve (see headsolve)
    sv (mV)
    sga (uS)
    sgn (uS)
    sii (nA)
    sgl (uS)
    sgs (uS)
    sgb (uS)
    smd (1)
    sch (mM)
    sc1 (mM)
    sc2 (mM)
    sc3 (mM)
}

STATE {
    A (uS)
    B (uS)
    An (uS)
    Bn (uS)
    m (1)
    h (1)
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
    tp = (tau1*tau2)/(tau2 - tau1)*log(tau2/tau1)
    factor_ampa = 1/(-exp(-tp/tau1) + exp(-tp/tau2))
    tp = (nmda_tau1*nmda_tau2)/(nmda_tau2 - nmda_tau1)*log(nmda_tau2/nmda_tau1)
    factor_nmda = 1/(-exp(-tp/nmda_tau1) + exp(-tp/nmda_tau2))
    niter = 0
    ch = conc
    c1 = conc
    c2 = conc
    c3 = conc
    vhead = v
    xsol = 0
    m = 0
    h = 1
    : the head voltage depends on m, h and m, h on the head voltage: iterate to the
    : resting fixed point (a contraction for any sensible ring; 20 sweeps are plenty)
    FROM k = 0 TO 19 {
        if (mode == 2) {
            : start the dynamic neck at the steady (mode 1) profile of the resting head
            mode = 1
            headsolve()
            mode = 2
            c1 = conc + 0.25*(chead - conc)
            c2 = conc + 0.5*(chead - conc)
            c3 = conc + 0.75*(chead - conc)
            ch = chead
        }
        headsolve()
        rates(vhead)
        m = minf
        h = hinf
    }
    headsolve()
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    headsolve()
    i = -ineck
    CONDUCTANCE gtot
}

DERIVATIVE states {
    if (mode == 2 || gna_head > 0) {
        headsolve()
    }
    : a synapse at rest (both states exactly 0) stays there: no exp per step
    if (A != 0 || B != 0) {
        A' = -A/tau1
        B' = -B/tau2
    } else {
        A' = 0
        B' = 0
    }
    if (An != 0 || Bn != 0) {
        An' = -An/nmda_tau1
        Bn' = -Bn/nmda_tau2
    } else {
        An' = 0
        Bn' = 0
    }
    : states not in use are frozen (no exp per step: the spine must be cheap)
    if (gna_head > 0) {
        rates(vhead)
        m' = (minf - m)/mtau
        h' = (hinf - h)/htau
    } else {
        m' = 0
        h' = 0
    }
    if (mode == 2) {
        c1' = gdif*(conc - 2*c1 + c2)/vseg
        c2' = gdif*(c1 - 2*c2 + c3)/vseg
        c3' = gdif*(c2 - 2*c3 + ch)/vseg
        ch' = (gdif*(c3 - ch) + tminus*ineck/FN)/vhd
    } else {
        c1' = 0
        c2' = 0
        c3' = 0
        ch' = 0
    }
    : refresh the head with the new v and states (what a recorded vhead shows; also the
    : warm start of the next BREAKPOINT)
    headsolve()
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

PROCEDURE setup() {
    : derived constants (temperature, geometry, law); called from INITIAL
    vt = R*(celsius + 273.15 (degC))/FARADAY
    expmax = exp(50)
    smd = -1
    if (gamma > 0) {
        gam = gamma
    } else {
        gam = neck_len/(PI*neck_diam*neck_diam/4)
    }
    isat = 2*conc*diff*FN/gam
    r0 = vt/isat
    if (mode == 0) {
        if (rneck > 0) {
            r0 = rneck
        } else if (ra > 0) {
            r0 = ra*gam*RAF
        }
    }
    dgam = gam/4
    if (neck_vol > 0) {
        vseg = neck_vol/4
    } else {
        vseg = neck_len*PI*neck_diam*neck_diam/16
    }
    vhd = PI*head_diam*head_diam*head_diam/6 + vseg/2
    gdif = 2*diff*diff_anion/(diff + diff_anion)/dgam
    tminus = diff_anion/(diff + diff_anion)
    fdiff = (diff - diff_anion)/(diff + diff_anion)
    gcoef = FN*(diff + diff_anion)/(vt*dgam)
}

FUNCTION logmean(a (mM), b (mM)) (mM) {
    : (b - a)/ln(b/a), continuous at b = a; arguments already floored > 0
    LOCAL r
    r = b/a - 1
    if (fabs(r) < 1e-4) {
        logmean = a*(1 + r*(0.5 - r/12))
    } else {
        logmean = a*r/log(1 + r)
    }
}

PROCEDURE neck2() {
    : mode 2: resistance and diffusion potential of the neck from the salt profile
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
    rdyn = (1/logmean(a0, a1) + 1/logmean(a1, a2) + 1/logmean(a2, a3) + 1/logmean(a3, a4))/gcoef
    ediff = -vt*fdiff*log(a4/a0)
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

PROCEDURE headsolve() {
    : Solve F(x) = ineck(x) - ihead(v + x) = 0 for x = vhead - v (see COMMENT); set
    : vhead, ineck, gtot, reff, chead. Every quantity is read once into a LOCAL: the
    : spine is called several times per step and per instance, field access dominates.
    LOCAL vv, md, x, xn, lo, hi, blo, bhi, cap, k, done, tol, xup, arg, ii, gl, el, ga, ea, gn, en, kmg, gs, es, gb, eb, vhb, sb, is, vtt, rr, ed, vh, u, e, bl, db, ex, fv, dfv, iv, div, ihv, ghv, e50
    done = 0
    vv = v
    md = mode
    ga = B - A
    gn = Bn - An
    ii = iinj
    gl = gleak + gfloor
    gs = gna_head*m*m*m*h
    gb = gbz_head
    : the solution is a function of these inputs (and of parameters constant during a
    : run): if none changed since the last solve it stands. This skips the BREAKPOINT's
    : solve right after the one at the end of the state update.
    if (vv == sv && ga == sga && gn == sgn && ii == sii && gl == sgl && gs == sgs && gb == sgb && md == smd && md != 2) {
        done = 2
    } else if (md == 2) {
        if (vv == sv && ga == sga && gn == sgn && ii == sii && gl == sgl && gs == sgs && gb == sgb && md == smd && ch == sch && c1 == sc1 && c2 == sc2 && c3 == sc3) {
            done = 2
        }
    }
    if (done == 0) {
        sv = vv
        sga = ga
        sgn = gn
        sii = ii
        sgl = gl
        sgs = gs
        sgb = gb
        smd = md
        sch = ch
        sc1 = c1
        sc2 = c2
        sc3 = c3
        el = eleak
        ea = e_ampa
        en = e_nmda
        kmg = mg/(3.57 (mM))
        es = ena
        eb = ebz
        vhb = vhalf_bz
        sb = slope_bz
        is = isat
        vtt = vt
        rr = r0
        ed = 0
        e50 = expmax
        if (md == 2) {
            neck2()
            rr = rdyn
            ed = ediff
        }
        x = xsol
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
                    e = exp(u)
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
                    if (md == 1 && fv < 0) {
                        : upper bound of the root if ihead decreases with vhead
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
                } else {
                    x = xn
                }
            }
        }
        niter = niter + k
        xsol = x
        vhead = vv + x
        ineck = iv
        gampa = ga
        gnmda = gn
        if (dfv > 0) {
            gtot = div*ghv/dfv
        } else {
            : at a fold of the head balance: no finite series conductance; use the neck's
            gtot = div
        }
        if (fabs(iv/(1 (nA))) > 1e-12) {
            reff = x/iv
        } else {
            reff = 1/div
        }
        if (md == 2) {
            chead = ch
        } else if (md == 1) {
            chead = conc*(1 + iv/is)
        } else {
            chead = conc
        }
    }
}
