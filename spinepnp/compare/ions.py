"""Real cytoplasm in a thin spine, from the Python reference model :mod:`spinepnp.ions`.

An EPSC-shaped Na current (alpha function, peak 20 pA at 0.5 ms) enters the head of a
ball-and-neck spine (neck 1 um long, 100 nm wide, head 0.5 um wide) in cytoplasm (K 140,
Na 12, Cl 7 mM, 100 nM Ca, the rest impermeant anions), in a binary salt (167 mM, the
dynamic neck of ``SpnpSpine`` mode 2) and through the Ohmic cable (Ra = 150 Ohm cm). It
shows the head voltage, the head's Na, K, Cl and Ca, the neck's instantaneous and steady
resistance in cytoplasm, and the time for head Na to return halfway to rest after one
EPSC as a function of neck geometry (what Na imaging measures).

This is the Python reference (electroneutral Nernst-Planck, scipy's BDF), not yet the
NEURON mechanism; the AMPA current's K share and NMDA's Ca are left out.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import laws
from ..constants import DEFAULT_RA
from ..ions import ball_and_neck_spine, cytoplasm
from ..pnp.species import Species
from ..pnp.stimuli import alpha
from .common import Result, save_csv, save_figure

NAME = "ions"
TITLE = "Cytoplasm (Na, K, Cl, Ca, fixed anions) in a thin spine: Python reference"

PEAK = 0.02            # nA: EPSC peak, Na into the head
TPEAK = 0.5            # ms
NECK = dict(neck_length=1.0, neck_radius=0.05, head_radius=0.25, cap_radius=0.01)
BINARY = [Species("na", 1, 1.33, 167.0), Species("a", -1, 2.03, 167.0)]


def half_return_time(t, c, rest):
    """Time [ms] from the peak of ``c(t)`` until it is back halfway to ``rest``
    (linear interpolation; NaN if it does not get there within ``t``)."""
    k = int(np.argmax(np.abs(c - rest)))
    half = rest + 0.5 * (c[k] - rest)
    after = np.nonzero(np.abs(c[k:] - rest) <= abs(half - rest))[0]
    if not after.size:
        return float("nan")
    j = k + int(after[0])
    frac = (c[j - 1] - half) / (c[j - 1] - c[j])
    return float(t[j - 1] + frac * (t[j] - t[j - 1]) - t[k])


def run(out: Path, quick: bool = False, progress=None) -> Result:
    t0 = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wave = alpha(PEAK, TPEAK)
    sp = cytoplasm()
    rest = {s.name: s.conc for s in sp}
    t_stop = 30.0 if quick else 60.0
    te = np.linspace(0.0, t_stop, 601 if quick else 2401)
    cyto = ball_and_neck_spine(**NECK, species=sp)
    res = cyto.run({"na": wave}, t_stop, t_eval=te)
    binary = ball_and_neck_spine(**NECK, species=BINARY).run({"na": wave}, t_stop,
                                                             t_eval=te)
    neck = laws.Cylinder(NECK["neck_length"], NECK["neck_radius"])
    r_ohm = laws.cable_resistance(neck, DEFAULT_RA)              # the neck alone
    i_na = np.array([wave(t) for t in te])
    v_ohm = r_ohm * i_na
    if progress:
        progress(1, 3)
    # neck resistance in cytoplasm: instantaneous (bulk, at rest) and steady (dV/dI of
    # the steady state at +-1 pA of Na)
    r_inst = float(res.resistance[0])
    v_p = cyto.steady_state({"na": 1e-3}).v_head[0]
    v_m = cyto.steady_state({"na": -1e-3}).v_head[0]
    r_steady = float((v_p - v_m) / 2e-3)
    # half-return time of head Na vs neck geometry
    radii = [0.03, 0.05, 0.1]
    lengths = [0.5, 1.0] if quick else [0.5, 1.0, 2.0]
    geo = {"neck_radius_um": [], "neck_length_um": [], "t_half_na_ms": [],
           "peak_na_rise_mM": []}
    for r in radii:
        for length in lengths:
            spine = ball_and_neck_spine(length, r, 0.25, min(0.01, 0.5 * r), species=sp)
            g_stop = 200.0 if quick else 400.0
            tg = np.linspace(0.0, g_stop, 2001 if quick else 8001)
            g = spine.run({"na": wave}, g_stop, t_eval=tg)
            geo["neck_radius_um"].append(r)
            geo["neck_length_um"].append(length)
            geo["t_half_na_ms"].append(half_return_time(g.t, g.head["na"], rest["na"]))
            geo["peak_na_rise_mM"].append(float(np.max(g.head["na"]) - rest["na"]))
    if progress:
        progress(2, 3)

    fig, axs = plt.subplots(1, 3, figsize=(14, 4.2))
    ax = axs[0]
    ax.plot(res.t, res.v_head, "k-", label="cytoplasm (electroneutral NP)")
    ax.plot(binary.t, binary.v_head, "b--", label="binary salt 167 mM (as SpnpSpine mode 2)")
    ax.plot(te, v_ohm, "r:", label=f"Ohmic cable, Ra = {DEFAULT_RA:g} Ohm cm")
    ax.set_xlim(0, 5)
    ax.set_xlabel("t [ms]")
    ax.set_ylabel("V head - V dendrite [mV]")
    ax.legend(fontsize=8)
    ax.set_title(f"EPSC (Na, peak {PEAK * 1e3:g} pA)")
    ax = axs[1]
    for name, col in (("na", "C0"), ("k", "C1"), ("cl", "C2")):
        ax.plot(res.t, res.head[name] - rest[name], color=col, label=f"{name} - rest")
    ax.plot(res.t, (res.head["ca"] - rest["ca"]) * 1e3, "C3", label="ca - rest [uM]")
    ax.set_xlabel("t [ms]")
    ax.set_ylabel("head concentration change [mM]")
    ax.legend(fontsize=8)
    ax.set_title("Head ions (cytoplasm)")
    ax = axs[2]
    for length in lengths:
        sel = [k for k, v in enumerate(geo["neck_length_um"]) if v == length]
        ax.plot([2e3 * geo["neck_radius_um"][k] for k in sel],
                [geo["t_half_na_ms"][k] for k in sel], "o-", label=f"L = {length:g} um")
    ax.set_xlabel("neck diameter [nm]")
    ax.set_ylabel("head Na half-return time [ms]")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title("Na clearance from the head")
    fig.suptitle("Python reference model (spinepnp.ions), not yet the NEURON mechanism",
                 fontsize=9)
    fig.tight_layout()
    figs = [save_figure(fig, out, "ions.png")]
    csvs = [save_csv(out, "ions_timecourse.csv", {
        "t_ms": res.t, "V_cytoplasm_mV": res.v_head, "V_binary_mV": binary.v_head,
        "V_ohmic_mV": v_ohm, "i_na_nA": i_na, "i_neck_nA": res.i_neck,
        **{f"head_{s}_mM": res.head[s] for s in res.mobile},
        "R_inst_cytoplasm_MOhm": res.resistance}),
        save_csv(out, "ions_geometry.csv", geo)]
    if progress:
        progress(3, 3)
    numbers = {"R_inst_cytoplasm_MOhm": r_inst, "R_steady_cytoplasm_MOhm": r_steady,
               "R_ohmic_MOhm": float(r_ohm),
               "peak_V_cytoplasm_mV": float(res.v_head.max()),
               "peak_V_binary_mV": float(binary.v_head.max()),
               "peak_V_ohmic_mV": float(v_ohm.max()),
               "peak_head_na_rise_mM": float(res.head["na"].max() - rest["na"]),
               "t_half_na_ms": half_return_time(res.t, res.head["na"], rest["na"]),
               "V_5ms_cytoplasm_mV": float(np.interp(5.0, res.t, res.v_head)),
               "emf_5ms_cytoplasm_mV": float(np.interp(5.0, res.t, res.emf))}
    caption = (f"Python reference (not yet the NEURON mechanism). A {PEAK * 1e3:g} pA "
               "Na EPSC in a 1 um x 100 nm neck: peak head voltage "
               f"{numbers['peak_V_cytoplasm_mV']:.2f} mV in cytoplasm, "
               f"{numbers['peak_V_binary_mV']:.2f} mV in the binary salt, "
               f"{numbers['peak_V_ohmic_mV']:.2f} mV Ohmic. Neck resistance in "
               f"cytoplasm: {r_inst:.0f} MOhm instantaneous, {r_steady:.0f} MOhm steady "
               f"(Na carrying). Head Na rises {numbers['peak_head_na_rise_mM']:.2f} mM "
               f"and returns halfway in {numbers['t_half_na_ms']:.1f} ms; 5 ms after the "
               f"onset the head is still {numbers['V_5ms_cytoplasm_mV']:.2f} mV above "
               f"the dendrite, {numbers['emf_5ms_cytoplasm_mV']:.2f} mV of it the "
               "neck's diffusion EMF (Na in the head, K lost from it).")
    return Result(NAME, TITLE, caption, figs, csvs, numbers, time.perf_counter() - t0)
