"""Paper Fig 1 (cylinder necks) and Fig 2 (hyperboloid constrictions), steady state.

For each neck: V(x) and concentrations along the neck from the full PNP solver and from
the electroneutral law at one current, then the I-V relation and the chord resistance
R(I) from the full PNP solver (bulk head potential), the law, Ohm's law calibrated to
the law's small-signal R0, Ohm's law with a typical cytoplasmic Ra, and the NEURON
mechanism (SpnpSpine, mode 1).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import laws
from ..constants import DEFAULT_RA
from .common import Result, save_csv, save_figure

CONC = 167.0   # mM
D_NA = 1.33    # um2/ms
CELSIUS = 20.0


def _species_two():
    from ..pnp import Species
    return [Species("na", z=1, diffusion=D_NA, conc=CONC),
            Species("a", z=-1, diffusion=2.03, conc=CONC)]


def _species_three():
    from ..pnp import default_species
    return default_species()


def run_steady(out: Path, name: str, title: str, necks: dict, i_profile: float,
               three_species: bool, quick: bool, progress=None) -> Result:
    """Shared body of fig1 and fig2.

    Parameters
    ----------
    necks : dict
        Label -> neck geometry.
    i_profile : float
        Current [nA] for the V(x), c(x) panels.
    three_species : bool
        Profiles with Na (carrier), K and anion (paper Fig 1) instead of two species.
    """
    t0 = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ..pnp import solve_steady, sweep_steady
    from .neuron_spine import spine_available, steady_iv

    n_mesh = 801 if quick else 2001
    n_i = 9 if quick else 25
    have_neuron = spine_available()
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    colors = ["C0", "C1", "C2", "C3"]
    numbers = {}
    csvs = []
    prof_cols = {}
    iv_cols = {}
    steps = 2 * len(necks)
    step = 0
    for k, (label, neck) in enumerate(necks.items()):
        col = colors[k % len(colors)]
        # --- profiles -------------------------------------------------------------
        sp = _species_three() if three_species else _species_two()
        sol = solve_steady(neck, i_profile, species=sp, carrier="na", celsius=CELSIUS,
                           n=n_mesh)
        x = sol.x
        if three_species:
            cna = sp[0].conc
            ck = sp[1].conc
            law = laws.multispecies_profile(x, i_profile, neck, cna, ck, D_NA, CELSIUS)
            v_law, c_law = law.v, {"na": law.c_na, "k": law.c_k, "a": law.c_a}
        else:
            v_law = laws.potential(x, i_profile, neck, CONC, D_NA, CELSIUS)
            c_law = {"na": laws.concentration(x, i_profile, neck, CONC, D_NA, CELSIUS)}
            c_law["a"] = c_law["na"]
        ax[0, 0].plot(x, sol.v, "-", color=col, label=f"{label}: full PNP")
        ax[0, 0].plot(x, v_law, "--", color="k", lw=0.8)
        for s, ls in zip(c_law, ["-", ":", "-."]):
            ax[0, 1].plot(x, sol.c[s], ls, color=col,
                          label=f"{label}: c_{s} PNP" if k == 0 or s == "na" else None)
            ax[0, 1].plot(x, c_law[s], "--", color="k", lw=0.6)
        # bulk agreement (outside 50 Debye lengths from either end)
        lam = sol.debye_length
        bulk = (x > 50 * lam) & (x < neck.length - 50 * lam)
        err = np.max(np.abs(sol.v[bulk] - v_law[bulk])) / max(abs(v_law[-1]), 1e-30)
        numbers[f"{label}: max |V_pnp - V_law| / dV (bulk)"] = float(err)
        numbers[f"{label}: dV_law at {i_profile * 1e3:g} pA [mV]"] = float(v_law[-1])
        numbers[f"{label}: dV_pnp bulk at {i_profile * 1e3:g} pA [mV]"] = \
            float(sol.bulk_head_potential)
        tag = label.replace(" ", "")
        prof_cols.update({f"x_{tag}_um": x, f"V_pnp_{tag}_mV": sol.v,
                          f"V_law_{tag}_mV": v_law})
        for s in c_law:
            prof_cols[f"c_{s}_pnp_{tag}_mM"] = sol.c[s]
            prof_cols[f"c_{s}_law_{tag}_mM"] = c_law[s]
        step += 1
        if progress:
            progress(step, steps)
        # --- I-V ------------------------------------------------------------------
        i_s = laws.saturation_current(neck, CONC, D_NA, CELSIUS)
        cur = np.linspace(-0.9 * i_s, 3.0 * i_s, n_i)
        cur = cur[np.abs(cur) > 1e-6 * i_s]
        iv = sweep_steady(neck, cur, species=_species_two(), carrier="na",
                          celsius=CELSIUS, n=n_mesh)
        v_law_iv = laws.delta_v(cur, neck, CONC, D_NA, CELSIUS)
        r0 = laws.ohmic_resistance(neck, CONC, D_NA, CELSIUS)
        r_ra = laws.cable_resistance(neck, DEFAULT_RA)
        ii = np.linspace(cur[0], cur[-1], 400)
        ax[1, 0].plot(cur * 1e3, iv.v_bulk, "o", color=col, ms=4)
        ax[1, 0].plot(ii * 1e3, laws.delta_v(ii, neck, CONC, D_NA, CELSIUS), "-",
                      color=col, label=label)
        ax[1, 0].plot(ii * 1e3, r0 * ii, ":", color=col)
        ax[1, 0].plot(ii * 1e3, r_ra * ii, "-.", color=col, lw=0.8)
        ax[1, 1].plot(cur * 1e3, iv.v_bulk / cur, "o", color=col, ms=4)
        ax[1, 1].plot(ii * 1e3, laws.resistance(ii, neck, CONC, D_NA, CELSIUS), "-",
                      color=col)
        ax[1, 1].axhline(r0, ls=":", color=col)
        ax[1, 1].axhline(r_ra, ls="-.", color=col, lw=0.8)
        iv_cols.update({f"I_{tag}_nA": cur, f"dV_pnp_bulk_{tag}_mV": iv.v_bulk,
                        f"dV_pnp_wall_{tag}_mV": iv.v_head, f"dV_law_{tag}_mV": v_law_iv,
                        f"dV_ohm_R0_{tag}_mV": r0 * cur,
                        f"dV_ohm_Ra{DEFAULT_RA:g}_{tag}_mV": r_ra * cur})
        numbers[f"{label}: R0 [MOhm]"] = r0
        numbers[f"{label}: R with Ra = {DEFAULT_RA:g} Ohm cm [MOhm]"] = r_ra
        numbers[f"{label}: I_s [pA]"] = i_s * 1e3
        numbers[f"{label}: max |dV_pnp - dV_law| / |dV_law| over I-V"] = float(
            np.max(np.abs(iv.v_bulk - v_law_iv) / np.abs(v_law_iv)))
        if have_neuron:
            v_nrn = steady_iv(neck, cur, CONC, D_NA, CELSIUS)
            ax[1, 0].plot(cur * 1e3, v_nrn, "x", color="k", ms=5)
            ax[1, 1].plot(cur * 1e3, v_nrn / cur, "x", color="k", ms=5)
            iv_cols[f"dV_neuron_{tag}_mV"] = v_nrn
            numbers[f"{label}: max |dV_neuron - dV_law| / |dV_law|"] = float(
                np.max(np.abs(v_nrn - v_law_iv) / np.abs(v_law_iv)))
        step += 1
        if progress:
            progress(step, steps)
    ax[0, 0].set_xlabel("x from the dendrite [um]")
    ax[0, 0].set_ylabel("V(x) - V(0) [mV]")
    ax[0, 0].set_title(f"potential at I = {i_profile * 1e3:g} pA (dashed: law)")
    ax[0, 0].legend(fontsize=7)
    ax[0, 1].set_xlabel("x from the dendrite [um]")
    ax[0, 1].set_ylabel("concentration [mM]")
    ax[0, 1].set_title("concentrations (dashed: law)")
    ax[0, 1].legend(fontsize=7)
    from matplotlib.lines import Line2D
    style = [Line2D([], [], ls="", marker="o", color="0.3", label="full PNP (bulk)"),
             Line2D([], [], ls="-", color="0.3", label="law"),
             Line2D([], [], ls=":", color="0.3", label="Ohm, same R0"),
             Line2D([], [], ls="-.", color="0.3",
                    label=f"Ohm, Ra = {DEFAULT_RA:g} Ohm cm")]
    if have_neuron:
        style.append(Line2D([], [], ls="", marker="x", color="k",
                            label="NEURON SpnpSpine (mode 1)"))
    ymin, ymax = ax[1, 0].get_ylim()
    h0, _ = ax[1, 0].get_legend_handles_labels()
    ax[1, 0].legend(handles=h0 + style, fontsize=7, loc="upper left")
    lo = min(float(np.min(c)) for k2, c in iv_cols.items() if k2.startswith("dV_law"))
    hi = max(float(np.max(c)) for k2, c in iv_cols.items() if k2.startswith("dV_law"))
    ax[1, 0].set_ylim(lo - 0.1 * (hi - lo), hi + 0.6 * (hi - lo))
    ax[1, 0].set_xlabel("current into the head [pA]")
    ax[1, 0].set_ylabel("head - dendrite [mV]")
    ax[1, 0].set_title("I-V")
    ax[1, 1].set_xlabel("current into the head [pA]")
    ax[1, 1].set_ylabel("chord resistance [MOhm]")
    ax[1, 1].set_title("R(I) = dV / I")
    fig.suptitle(title)
    fig.tight_layout()
    figs = [save_figure(fig, out, f"{name}.png")]
    csvs.append(save_csv(out, f"{name}_profiles.csv", prof_cols))
    iv_len = {len(v) for v in iv_cols.values()}
    if len(iv_len) == 1:
        csvs.append(save_csv(out, f"{name}_iv.csv", iv_cols))
    else:  # pragma: no cover - different current counts per neck
        for lab in necks:
            tag = lab.replace(" ", "")
            csvs.append(save_csv(out, f"{name}_iv_{tag}.csv",
                                 {k: v for k, v in iv_cols.items() if k.endswith(
                                     (f"_{tag}_nA", f"_{tag}_mV"))}))
    return Result(name, title, "", figs, csvs, numbers, time.perf_counter() - t0), \
        have_neuron


def _caption(res: Result, necks, what: str, have_neuron: bool) -> str:
    parts = []
    for label in necks:
        parts.append(
            f"{label}: R0 = {res.numbers[f'{label}: R0 [MOhm]']:.1f} MOhm, I_s = "
            f"{res.numbers[f'{label}: I_s [pA]']:.0f} pA, PNP vs law "
            f"{res.numbers[f'{label}: max |dV_pnp - dV_law| / |dV_law| over I-V']:.1e}")
    nrn = (" The NEURON mechanism (x) lies on the law." if have_neuron else
           " (SpnpSpine not available: NEURON column omitted.)")
    return (f"{what} Full PNP (no electroneutrality assumed) against the electroneutral "
            "law, Ohm with the same R0 and Ohm with a typical Ra. " + "; ".join(parts) +
            "." + nrn)


def run_fig1(out: Path, quick: bool = False, progress=None) -> Result:
    necks = {f"r0 = {r:g} nm": laws.Cylinder(1.0, r * 1e-3) for r in (50, 75, 100)}
    res, nrn = run_steady(out, "fig1", "Paper Fig 1: cylindrical necks (L = 1 um)", necks,
                          0.1, True, quick, progress)
    res.caption = _caption(res, necks, "Cylinder necks, L = 1 um; profiles at 100 pA with "
                           "Na (12 mM) carrying the current beside K (155 mM) and anions "
                           "(167 mM); I-V with a 167 mM binary salt.", nrn)
    return res


def run_fig2(out: Path, quick: bool = False, progress=None) -> Result:
    necks = {f"a = {a:g} nm": laws.Hyperboloid(a * 1e-3, a * 1e-3, 0.1, 0.5)
             for a in (25, 50, 90)}
    res, nrn = run_steady(out, "fig2", "Paper Fig 2: hyperboloid constrictions "
                          "(c = 100 nm, length 1 um)", necks, 0.01, False, quick, progress)
    res.caption = _caption(res, necks, "Hyperboloid necks S(z) = pi a^2 (1 + z^2/c^2), "
                           "c = 100 nm, z in [-0.5, 0.5] um; profiles at 10 pA (the "
                           "paper's caption value); 167 mM binary salt.", nrn)
    return res
