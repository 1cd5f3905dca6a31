"""The biophysics summary's Fig 2: nullclines of the reduced sodium model (eq 12-13).

V-nullclines for V0 = 0 and V0 = -2 mV and the h-nullcline from :mod:`spinepnp.reduced`,
their crossings (fixed points, classified by the Jacobian), and a trajectory of the
same model integrated by NEURON (density mechanism ``SpnpRHH``, one compartment) laid
over the phase plane: it must move along the field the nullclines describe.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import reduced
from .common import Result, save_csv, save_figure

NAME = "nullclines"
TITLE = "Reduced model nullclines (summary Fig 2)"


def neuron_trajectory(v0: float, v_start: float, h_start: float, t_stop: float = 60.0,
                      dt: float = 0.005):
    """Integrate eq 12 in NEURON (SpnpRHH in one compartment) from (v_start, h_start).

    Returns t [ms], V [mV], h [1].
    """
    from neuron import h as hoc
    from ..loader import load_mechanisms
    load_mechanisms()
    hoc.load_file("stdrun.hoc")
    sec = hoc.Section(name="rhh_soma")
    sec.L = sec.diam = 10.0
    sec.cm = 1.0
    sec.insert("SpnpRHH")
    par = reduced.density_parameters(cm=1.0)
    for k, val in par.items():
        setattr(sec(0.5), f"{k}_SpnpRHH", val)
    sec(0.5).v0_SpnpRHH = v0
    tv, vv, hv = hoc.Vector(), hoc.Vector(), hoc.Vector()
    tv.record(hoc._ref_t)
    vv.record(sec(0.5)._ref_v)
    hv.record(sec(0.5)._ref_h_SpnpRHH)
    hoc.dt = dt
    hoc.finitialize(v_start)
    sec(0.5).h_SpnpRHH = h_start
    hoc.fcurrent()
    hoc.frecord_init()
    hoc.continuerun(t_stop)
    out = np.array(tv), np.array(vv), np.array(hv)
    hoc.delete_section(sec=sec)
    return out


def run(out: Path, quick: bool = False, progress=None) -> Result:
    t0 = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    v = np.linspace(-90.0, 60.0, 1000 if quick else 4000)
    hn = reduced.h_nullcline(v)
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.plot(v, hn, "r-", label="h-nullcline h_inf(V)")
    cols = {"V_mV": v, "h_nullcline": hn}
    numbers = {}
    styles = {0.0: ("#1f3b73", "V-nullcline, V0 = 0 mV"),
              -2.0: ("#6fa8dc", "V-nullcline, V0 = -2 mV")}
    fps_all = []
    for v0 in reduced.V0_NULLCLINES:
        vn = reduced.v_nullcline(v, v0)
        colr, lab = styles[v0]
        ax.plot(v, np.where((vn >= 0) & (vn <= 1), vn, np.nan), color=colr, label=lab)
        cols[f"V_nullcline_V0_{v0:g}"] = vn
        fps = reduced.fixed_points(v0)
        for fp in fps:
            mk = "o" if fp.kind == "stable" else ("x" if fp.kind == "saddle" else "s")
            ax.plot(fp.v, fp.h, mk, color=colr, ms=8, mfc="none" if mk == "o" else colr)
            fps_all.append((v0, fp.v, fp.h, fp.kind))
        numbers[f"n_fixed_points_V0_{v0:g}"] = len(fps)
        rest = [fp for fp in fps if fp.kind == "stable"]
        if rest:
            numbers[f"rest_V_V0_{v0:g}_mV"] = float(min(fp.v for fp in rest))
    if progress:
        progress(1, 2)
    # NEURON trajectory from rest pushed just above the saddle (V0 = 0)
    fps0 = reduced.fixed_points(0.0)
    saddle = [fp for fp in fps0 if fp.kind == "saddle"]
    rest = [fp for fp in fps0 if fp.kind == "stable"]
    traj_note = ""
    if saddle and rest:
        r0 = min(rest, key=lambda f: f.v)
        t, vt, ht = neuron_trajectory(0.0, saddle[0].v + 2.0, r0.h,
                                      t_stop=30.0 if quick else 60.0)
        ax.plot(vt, ht, "k-", lw=0.8, label="NEURON SpnpRHH trajectory (V0 = 0)")
        ax.plot(vt[0], ht[0], "k>", ms=6)
        save_csv(out, "nullclines_trajectory.csv", {"t_ms": t, "V_mV": vt, "h": ht})
        numbers["trajectory_peak_V_mV"] = float(np.max(vt))
        numbers["trajectory_final_V_mV"] = float(vt[-1])
        traj_note = (f" A NEURON run of the same model (SpnpRHH), started 2 mV above "
                     f"the saddle, spikes to {np.max(vt):.1f} mV and settles at "
                     f"{vt[-1]:.1f} mV.")
    ax.set_xlim(v[0], v[-1])
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("V [mV]")
    ax.set_ylabel("h [1]")
    ax.set_title("Reduced Na model (summary eq 12-13, alpha_m corrected)")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    figs = [save_figure(fig, out, "nullclines.png")]
    csvs = [save_csv(out, "nullclines.csv", cols),
            save_csv(out, "nullclines_fixed_points.csv",
                     {"V0_mV": [f[0] for f in fps_all], "V_mV": [f[1] for f in fps_all],
                      "h": [f[2] for f in fps_all], "kind": [f[3] for f in fps_all]})]
    if traj_note:
        csvs.append(Path("nullclines_trajectory.csv"))
    if progress:
        progress(2, 2)
    desc = "; ".join(f"V0 = {v0:g}: " + ", ".join(f"{k} at {fv:.1f} mV"
                                                  for (w, fv, _, k) in fps_all if w == v0)
                     for v0 in reduced.V0_NULLCLINES)
    caption = ("Nullclines of the reduced model (E_L = -70 mV, E_Na = 50 mV, rho_Na = 400) "
               f"with the corrected alpha_m. Fixed points (o stable, x saddle): {desc}. "
               "With eq 12a as printed (+V0), the V0 = -2 mV nullcline lies above the "
               "V0 = 0 one; the summary's caption calls it the lower curve, i.e. its "
               "figure used the opposite sign of V0." + traj_note)
    return Result(NAME, TITLE, caption, figs, csvs, numbers, time.perf_counter() - t0)
