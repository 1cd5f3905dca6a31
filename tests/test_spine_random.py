"""Seeded randomized draws of valid SpnpSpine parameters (modes 0, 1, 2; fixed step).

Each draw is one spine on its own passive dendrite, driven by Poisson AMPA (+ NMDA)
input and a constant head current, with random geometry, salt, leak, Mg, head rings (HH
Na and instantaneous Boltzmann). At every recorded step of every spine the test checks,
from the recorded outputs and independently of the mechanism's code paths:

- nothing is NaN or infinite;
- the neck law: mode 1 ineck = isat (exp(x/VT) - 1) (continued linearly beyond
  x/VT = 50), mode 0 ineck = x/r0, with x = vhead - v (mode 2 has no closed law: its
  current depends on the salt profile);
- the head balance ineck = ihead(vhead) (leak, floor, AMPA, NMDA with the Jahr & Stevens
  block, HH ring at the recorded gates, Boltzmann ring, iinj);
- the validity flags fire exactly when their condition holds in the recorded outputs
  (|vhead| > 1000 mV; mode 1 chead < 1e-3 conc; mode 2 a concentration <= cmin), at the
  first such sample, and the solver-convergence flag only where the balance fails;
- concentrations are never negative.

The default run has 300 draws; the slow run 10,000 (10 batches of 1000).
Neck rings are not drawn (their ring-node balance has its own tests in test_rings).
"""

import math

import numpy as np
import pytest
from scipy.constants import R, physical_constants

FARADAY = physical_constants["Faraday constant"][0]


def _draw(rng, n):
    """n valid parameter sets (dicts of SpnpSpine parameters) and NetCon weights."""
    draws = []
    for _ in range(n):
        mode = int(rng.integers(0, 3))
        p = dict(mode=mode,
                 neck_len=rng.uniform(0.2, 3.0),
                 neck_diam=math.exp(rng.uniform(math.log(0.05), math.log(0.5))),
                 head_diam=rng.uniform(0.3, 1.0),
                 conc=math.exp(rng.uniform(math.log(20.0), math.log(300.0))),
                 diff=rng.uniform(0.5, 2.0),
                 diff_anion=rng.uniform(0.5, 2.5),
                 gleak=math.exp(rng.uniform(math.log(1e-6), math.log(1e-3))),
                 eleak=rng.uniform(-80.0, -60.0),
                 mg=rng.uniform(0.0, 2.0),
                 tau1=rng.uniform(0.1, 1.0), tau2=rng.uniform(1.5, 10.0))
        if mode == 0 and rng.random() < 0.5:
            p["rneck"] = rng.uniform(10.0, 500.0)
        if mode == 2 and rng.random() < 0.5:
            p["neck_vol"] = math.exp(rng.uniform(math.log(3.8e-4), math.log(0.1)))
        u = rng.random()
        if u < 0.2:
            # a constant head current, inward or outward, up to 3x the saturation current
            # (computed by the caller from isat): some draws leave the model's validity
            p["iinj_frac"] = rng.uniform(-3.0, 3.0)
        if rng.random() < 0.25:
            p["gbz_head"] = math.exp(rng.uniform(math.log(1e-4), math.log(3e-2)))
        if rng.random() < 0.25:
            p["gna_head"] = math.exp(rng.uniform(math.log(1e-3), math.log(1e-1)))
        w_ampa = math.exp(rng.uniform(math.log(1e-4), math.log(1e-2)))
        w_nmda = (math.exp(rng.uniform(math.log(1e-4), math.log(1e-2)))
                  if rng.random() < 0.5 else 0.0)
        draws.append((p, w_ampa, w_nmda, float(rng.uniform(20.0, 200.0))))
    return draws


def _law_x(vt, mode, isat, r0, x):
    """Mode 0/1 neck current [nA] at x = vhead - v [mV] (mode 1 continued linearly
    beyond x/VT = 50, as the mechanism)."""
    if mode == 0:
        return x / r0
    u = x / vt
    e50 = math.exp(50.0)
    return np.where(u > 50, isat * (e50 * (1 + np.minimum(u, 1e300) - 50) - 1),
                    isat * np.expm1(np.minimum(u, 50.0)))


def _run_batch(h, seed, n, tstop=20.0, dt=0.025):
    from spinepnp.synapses import poisson_netstim
    rng = np.random.default_rng(seed)
    draws = _draw(rng, n)
    h.celsius = 20.0
    h.dt = dt
    h.cvode_active(0)
    keep, spines, recs = [], [], []
    names = ["vhead", "ineck", "chead", "gampa", "gnmda", "m", "h", "c1", "c2", "c3", "ch"]
    for k, (p, w_ampa, w_nmda, rate) in enumerate(draws):
        d = h.Section(name=f"rdend{k}")
        d.L, d.diam, d.nseg = 20.0, 1.0, 1
        d.insert("pas")
        d(0.5).pas.g, d(0.5).pas.e = 1e-4, -70.0
        sp = h.SpnpSpine(d(0.5))
        for key, val in p.items():
            if key != "iinj_frac":
                setattr(sp, key, val)
        ns, r123 = poisson_netstim(h, rate, k, seed)
        nc = h.NetCon(ns, sp)
        nc.weight[0], nc.weight[1], nc.delay = w_ampa, w_nmda, 0.5
        rec = {nm: h.Vector().record(getattr(sp, f"_ref_{nm}")) for nm in names}
        rec["v"] = h.Vector().record(d(0.5)._ref_v)
        keep += [d, ns, r123, nc]
        spines.append(sp)
        recs.append(rec)
    tvec = h.Vector().record(h._ref_t)
    h.finitialize(-70.0)
    for sp, (p, _, _, _) in zip(spines, draws):
        if "iinj_frac" in p:
            sp.iinj = p["iinj_frac"] * sp.isat
    h.continuerun(tstop)
    out = []
    for sp, rec, (p, _, _, _) in zip(spines, recs, draws):
        data = {nm: np.array(v) for nm, v in rec.items()}
        out.append((p, data, {nm: float(getattr(sp, nm)) for nm in (
            "isat", "r0", "vt", "invalid", "tinvalid", "conc", "cmin", "iinj", "gleak",
            "gfloor", "eleak", "e_ampa", "e_nmda", "mg", "gna_head", "ena", "gbz_head",
            "ebz", "vhalf_bz", "slope_bz")}))
        for v in rec.values():
            v.play_remove()
    t = np.array(tvec)
    tvec.play_remove()
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    del keep, spines
    return t, out


def _check(t, results):
    counts = {"flag2": 0, "flag4": 0, "flag8": 0, "flag1": 0}
    for p, d, s in results:
        mode = p["mode"]
        where = f"draw {p}"
        for nm, arr in d.items():
            assert np.isfinite(arr).all(), f"{nm} not finite: {where}"
        # the mechanism's own vt: R T/F at 20 degC (independent check of the constant)
        assert s["vt"] == pytest.approx(R * 293.15 / FARADAY * 1e3, rel=1e-9)
        # skip the sample at finitialize: t = 0 holds the state before the first step
        v, vh, ineck = d["v"][1:], d["vhead"][1:], d["ineck"][1:]
        x = vh - v
        # tolerance on x: the solver's 1e-10 mV + 1e-13 |x| (and the fast path's final
        # Newton step error (dx)^2/(2 VT) < 1e-10 mV), times 10 for the rounding of the
        # recorded sums; converted to current by the total slope conductance
        tol_x = 1e-9 + 1e-12 * np.abs(x)
        # head currents into the head at the recorded vhead
        gl = s["gleak"] + s["gfloor"]
        ihead = s["iinj"] - gl * (vh - s["eleak"]) - d["gampa"][1:] * (vh - s["e_ampa"])
        ghead = gl + d["gampa"][1:]
        gn = d["gnmda"][1:]
        block = 1.0 / (1.0 + s["mg"] / 3.57 * np.exp(np.minimum(-0.062 * vh, 700.0)))
        ihead -= gn * block * (vh - s["e_nmda"])
        ghead = ghead + gn * (block + 0.062 * block * (1 - block) * np.abs(vh - s["e_nmda"]))
        if s["gna_head"] > 0:
            gna = s["gna_head"] * d["m"][1:] ** 3 * d["h"][1:]
            ihead -= gna * (vh - s["ena"])
            ghead = ghead + gna
        if s["gbz_head"] > 0:
            bz = 1.0 / (1.0 + np.exp(np.minimum(-(vh - s["vhalf_bz"]) / s["slope_bz"], 700.0)))
            ihead -= s["gbz_head"] * bz * (vh - s["ebz"])
            ghead = ghead + s["gbz_head"] * (bz + bz * (1 - bz) / s["slope_bz"]
                                             * np.abs(vh - s["ebz"]))
        if mode == 1:
            gneck = s["isat"] / s["vt"] * np.exp(np.minimum(x / s["vt"], 50.0))
        elif mode == 0:
            gneck = np.full_like(x, 1.0 / s["r0"])
        else:
            # mode 2: an upper bound of the dynamic neck's slope conductance, the bulk
            # value (D + D-)/(2 D r0) of a neck filled at the highest concentration
            cmax = np.max([d[c][1:] for c in ("c1", "c2", "c3", "ch")], axis=0)
            gneck = ((p["diff"] + p["diff_anion"]) / (2 * p["diff"]) / s["r0"]
                     * np.maximum(1.0, cmax / s["conc"]))
        slope = gneck + np.abs(ghead)
        balance_ok = np.abs(ineck - ihead) <= slope * tol_x + 1e-12 * np.abs(ineck)
        converged = not (int(s["invalid"]) & 1)
        if converged:
            assert balance_ok.all(), (
                f"head balance off by {np.max(np.abs(ineck - ihead)):.3g} nA: {where}")
        else:
            counts["flag1"] += 1
        if mode in (0, 1):
            # a final Newton step is accepted unevaluated when its error bound in x is
            # below the tolerance; ineck is then the law linearised at the last iterate,
            # off the law at the accepted x by at most M dx^2/2 <= tol F', F' the total
            # slope (neck and head): hence the same slope-times-tolerance as the balance
            law = _law_x(s["vt"], mode, s["isat"], s["r0"], x)
            err = np.abs(ineck - law)
            assert (err <= slope * tol_x + 1e-12 * np.abs(law)).all(), (
                f"neck law off by {err.max():.3g} nA: {where}")
        # flags: set iff the condition holds in the recorded outputs (all samples,
        # finitialize included), stamped at the first sample that meets one
        conds = {8: np.abs(d["vhead"]) > 1000.0}
        if mode == 1:
            conds[2] = d["chead"] < 1e-3 * s["conc"]
        if mode == 2:
            conds[4] = np.min([d[c] for c in ("c1", "c2", "c3", "ch")], axis=0) <= s["cmin"]
            assert min(d[c].min() for c in ("c1", "c2", "c3", "ch")) >= 0.0, where
        assert d["chead"].min() >= 0.0, where
        flags = int(s["invalid"])
        for bit, cond in conds.items():
            assert bool(flags & bit) == bool(cond.any()), f"flag {bit}: {where}"
            if cond.any():
                counts[f"flag{bit}"] += 1
        firsts = [t[np.argmax(c)] for c in conds.values() if c.any()]
        if firsts and converged:
            assert s["tinvalid"] == pytest.approx(min(firsts), abs=1e-9), where
        if flags == 0:
            assert s["tinvalid"] == -1.0
    return counts


def test_random_valid_draws(h):
    t, results = _run_batch(h, seed=13, n=300)
    counts = _check(t, results)
    # the draws reach every flag's condition (else the flag checks prove little): the
    # outward head currents up to 3 isat saturate some mode 1 necks, empty some mode 2
    # heads and drive some heads beyond 1000 mV
    assert counts["flag2"] > 0 and counts["flag4"] > 0 and counts["flag8"] > 0, counts


@pytest.mark.slow
def test_random_valid_draws_many(h):
    total = {}
    for batch in range(10):
        t, results = _run_batch(h, seed=1000 + batch, n=1000)
        for key, val in _check(t, results).items():
            total[key] = total.get(key, 0) + val
    assert total["flag2"] > 0 and total["flag4"] > 0 and total["flag8"] > 0, total
