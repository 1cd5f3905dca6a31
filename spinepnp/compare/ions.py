"""Real cytoplasm in a thin spine: ``SpnpSpineIons`` against the binary salt and Ohm.

Cytoplasm is K-rich (K 140, Na 12, Cl 7 mM, 100 nM free Ca, the rest of the anionic
charge on impermeant anions: :data:`spinepnp.ions.CYTOPLASM`), and a synapse's current
is carried by particular ions (AMPA: Na in, K out; NMDA: also Ca). One AMPA + NMDA event
on a thin spine (:mod:`spinepnp.spinesets` "thin") in the middle of a passive dendrite,
with three drop-in spines that differ only by the neck and head they model:

- ``SpnpSpineIons``: electroneutral Nernst-Planck neck and well-mixed head for Na, K,
  Cl, Ca and the fixed anions, the dendrite's ions set to the cytoplasm;
- ``SpnpSpine`` mode 2 (law ``pnp-dynamic``): the dynamic neck of a binary salt
  (167 mM, Na-like cation, Cl-like anion);
- ``SpnpSpine`` mode 0 (law ``ohmic-ra``): an Ohmic neck, Ra = 150 Ohm cm.

It shows the head voltage and the head's Na, K, Cl and Ca over time; the neck's
instantaneous resistance (right after a change, every ion carrying its share) and its
steady resistance for a Na current (dV/dI of the steady state at +-1 pA), measured on
each mechanism on a voltage-clamped dendrite; and the time for head Na to return
halfway to rest after one event, over a grid of neck lengths and diameters (what Na
imaging measures). The Python reference :class:`spinepnp.ions.IonSpine` (scipy's BDF on
40 neck cells) is the check: the mechanism's head Na and voltage for a Na alpha current
are drawn with the reference's, and the steady resistance beside its steady state.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..constants import DEFAULT_RA
from ..pnp.stimuli import alpha
from .common import LAW_STYLES, Result, save_csv, save_figure

NAME = "ions"
TITLE = "Cytoplasm (Na, K, Cl, Ca, fixed anions) in a thin spine: SpnpSpineIons"

CELSIUS = 20.0             # degC : the paper's temperature
SPINE = "thin"             # spine set of the EPSP
W_AMPA = 0.001             # uS : one AMPA event (about 50 pA into a thin head)
W_NMDA = 0.001             # uS : its NMDA conductance (Mg-blocked near rest)
T_EVENT = 1.0              # ms : time of the event
V_REST = -70.0             # mV : dendrite rest (pas reversal) and clamp voltage
DT = 0.025                 # ms : fixed time step of the NEURON runs
#: passive dendrite [um, Ohm cm, uF/cm2, S/cm2]
DEND = dict(L=200.0, diam=1.0, nseg=41, Ra=100.0, cm=1.0, g_pas=1e-4)
#: the reference check: a Na alpha current into the head [nA, ms]
NA_PEAK, NA_TPEAK = 0.02, 0.5
#: neck geometry grid of the Na clearance [um]
GRID_DIAMS = (0.06, 0.1, 0.2)
GRID_LENGTHS = (0.5, 1.0, 2.0)
MODELS = ("cytoplasm", "binary", "ohmic-ra")
LABELS = {"cytoplasm": "SpnpSpineIons, cytoplasm",
          "binary": "SpnpSpine mode 2, binary salt 167 mM",
          "ohmic-ra": f"SpnpSpine mode 0, Ra = {DEFAULT_RA:g} Ohm cm"}
STYLES = {"cytoplasm": dict(color="k", ls="-"), "binary": LAW_STYLES["pnp-dynamic"],
          "ohmic-ra": LAW_STYLES["ohmic-ra"]}
HEAD_IONS = ("na", "k", "cl", "ca")


def half_return_time(t, c, rest):
    """Time [ms] from the peak of ``c(t)`` until it is back halfway to ``rest``
    (linear interpolation; NaN if it does not get there within ``t``)."""
    k = int(np.argmax(np.abs(c - rest)))
    half = rest + 0.5 * (c[k] - rest)
    after = np.nonzero(np.abs(c[k:] - rest) <= abs(half - rest))[0]
    if not after.size or after[0] == 0:
        return float("nan")
    j = k + int(after[0])
    frac = (c[j - 1] - half) / (c[j - 1] - c[j])
    return float(t[j - 1] + frac * (t[j] - t[j - 1]) - t[k])


def _finish(ax, xlabel, ylabel, title, xlim=None, legend=8):
    """Label one panel (and set its time window ``xlim`` [ms])."""
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=legend)


def _clear(h):
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)


def _dendrite(h):
    dend = h.Section(name="ions_dend")
    dend.L, dend.diam, dend.nseg = DEND["L"], DEND["diam"], DEND["nseg"]
    dend.Ra, dend.cm = DEND["Ra"], DEND["cm"]
    dend.insert("pas")
    for seg in dend:
        seg.pas.g, seg.pas.e = DEND["g_pas"], V_REST
    return dend


def _spine(seg, model, geo, **params):
    """One drop-in spine of ``model`` on ``seg`` (spine set or SpineParams ``geo``):
    its point process. All three carry the same membrane (leak and capacitance of head
    and neck, see :func:`spinepnp.build.attach_spine`); the ion spine's dendrite gets
    the cytoplasm (:func:`spinepnp.ions.set_cytoplasm`)."""
    from ..build import attach_ion_spine, attach_spine
    from ..ions import set_cytoplasm
    if model == "cytoplasm":
        pp = attach_ion_spine(seg, geo, **params).point
        set_cytoplasm([seg.sec])
        return pp
    law = model if model != "binary" else "pnp-dynamic"
    return attach_spine(seg, law, geo, **params).point


def clamped_ion_run(currents, t_stop, t_eval, *, species=None, geo=SPINE, dt=DT,
                    record=("vhead", "nahead"), **params):
    """``SpnpSpineIons`` on a dendrite voltage-clamped at :data:`V_REST`, driven by head
    currents by ion.

    Parameters
    ----------
    currents : dict
        ``{"na": waveform, ...}``: currents into the head [nA], numbers or callables of
        t [ms] (played into ``iinj_na``, ``iinj_k``, ``iinj_ca``, linearly interpolated
        on a grid of dt/5).
    t_stop : float
        End time [ms].
    t_eval : array_like
        Times [ms] at which the recordings are returned (interpolated).
    species : list of Species or None
        The cytoplasm (default :func:`spinepnp.ions.cytoplasm`); the dendrite's ions
        are set to it, an ion it lacks to 0 (absent from the spine).
    geo : str, SpineParams or dict
        Spine geometry; ``params`` may hold any keyword of
        :func:`spinepnp.build.attach_ion_spine` (``neck``, ``gamma`` is not one: give
        ``neck=``) or mechanism parameter.
    dt : float
        Fixed time step [ms].
    record : tuple of str
        Outputs of the mechanism to return (``vhead`` is returned as vhead - v).

    Returns
    -------
    dict
        Arrays at ``t_eval`` and the final ``invalid``, ``tinvalid`` [ms].
    """
    from neuron import h
    from ..build import attach_ion_spine, clamped_dendrite
    from ..ions import NEURON_IONS, set_cytoplasm
    h.load_file("stdrun.hoc")
    dend, vc = clamped_dendrite(V_REST, name="ions_clamped")
    seg = dend(0.5)
    pp = attach_ion_spine(seg, geo, species=species, **params).point
    present = set_cytoplasm([dend], species)
    for ion, var in NEURON_IONS.values():
        if var not in present:
            setattr(seg, var, 0.0)
    plays = []
    for name, wave in currents.items():
        if callable(wave):
            tp = h.Vector(np.arange(0.0, t_stop + dt, 0.2 * dt))
            ip = h.Vector([wave(t) for t in tp])
            ip.play(getattr(pp, f"_ref_iinj_{name}"), tp, 1)
            plays.append((tp, ip))
        else:
            setattr(pp, f"iinj_{name}", float(wave))
    rec = {k: h.Vector().record(getattr(pp, f"_ref_{k}")) for k in record}
    rv = h.Vector().record(seg._ref_v)
    tr = h.Vector().record(h._ref_t)
    h.dt = dt
    h.finitialize(V_REST)
    if pp.badparam:
        raise ValueError(f"SpnpSpineIons refused its parameters (badparam "
                         f"{pp.badparam:g}, see spinepnp.validity)")
    h.continuerun(t_stop)
    t = np.array(tr)
    out = {}
    for k, vec in rec.items():
        y = np.array(vec) - (np.array(rv) if k == "vhead" else 0.0)
        out[k] = np.interp(t_eval, t, y)
    out["invalid"], out["tinvalid"] = float(pp.invalid), float(pp.tinvalid)
    for _, ip in plays:
        ip.play_remove()
    del pp, vc, plays
    _clear(h)
    return out


def epsp(model, geo=SPINE, t_stop=60.0, clamp=False, w_ampa=W_AMPA, w_nmda=W_NMDA):
    """One AMPA + NMDA event at :data:`T_EVENT` on a spine of ``model``.

    The spine sits in the middle of the passive dendrite :data:`DEND` (``clamp``: on a
    dendrite voltage-clamped at :data:`V_REST`). Returns numpy arrays: ``t`` [ms],
    ``vhead``, ``vdend`` [mV], ``ineck`` [nA] and the head concentrations [mM]
    (``nahead`` ... of the ion spine, ``chead`` of the binary one).
    """
    from neuron import h
    from ..build import clamped_dendrite
    h.load_file("stdrun.hoc")
    h.celsius = CELSIUS
    if clamp:
        dend, vc = clamped_dendrite(V_REST, name="ions_clamped")
        seg = dend(0.5)
    else:
        dend, vc = _dendrite(h), None
        seg = dend(0.5)
    pp = _spine(seg, model, geo)
    ns = h.NetStim()
    ns.number, ns.start, ns.noise = 1, T_EVENT, 0.0
    nc = h.NetCon(ns, pp)
    nc.delay, nc.weight[0], nc.weight[1] = 0.0, w_ampa, w_nmda
    names = ["vhead", "ineck"] + ([f"{s}head" for s in HEAD_IONS] if model == "cytoplasm"
                                  else ["chead"] if model == "binary" else [])
    rec = {"t": h.Vector().record(h._ref_t), "vdend": h.Vector().record(seg._ref_v)}
    for n in names:
        rec[n] = h.Vector().record(getattr(pp, f"_ref_{n}"))
    h.dt = DT
    h.finitialize(V_REST)
    h.continuerun(t_stop)
    out = {k: np.array(v) for k, v in rec.items()}
    out["invalid"] = float(pp.invalid) if hasattr(pp, "invalid") else 0.0
    del nc, ns, vc, pp
    _clear(h)
    return out


def clamped_resistances(model, geo=SPINE, i_test=1e-3, t_steady=200.0):
    """Neck resistances [MOhm] of a spine of ``model`` on a clamped dendrite.

    Instantaneous: (vhead - v)/ineck one 10 ns step after a head current of
    ``i_test`` [nA] is switched on at rest (the concentrations have not moved, no
    diffusion potential yet). Steady: dV/dI of the steady states reached ``t_steady``
    [ms] after a Na current of +- ``i_test`` into the head (the ion spine: ``iinj_na``;
    SpnpSpine: ``iinj``), by CVODE.
    """
    from neuron import h
    from ..build import clamped_dendrite
    h.load_file("stdrun.hoc")
    inj = "iinj_na" if model == "cytoplasm" else "iinj"
    out = {}
    for sign in (1.0, -1.0):
        dend, vc = clamped_dendrite(V_REST, name="ions_r")
        pp = _spine(dend(0.5), model, geo)
        h.dt = 1e-5
        h.finitialize(V_REST)
        setattr(pp, inj, sign * i_test)
        h.fadvance()
        if sign > 0:
            out["R_inst_MOhm"] = (pp.vhead - dend(0.5).v) / pp.ineck
        # the steady state by CVODE at tight tolerances: the +-1 pA secant moves the
        # head by ~40 nV, below CVODE's default tolerance
        atol, rtol = h.cvode.atol(), h.cvode.rtol()
        h.cvode.atol(1e-10)
        h.cvode.rtol(1e-10)
        h.cvode_active(1)
        h.cvode.re_init()
        h.continuerun(t_steady)
        h.cvode_active(0)
        h.cvode.atol(atol)
        h.cvode.rtol(rtol)
        out[sign] = pp.vhead - dend(0.5).v
        del pp, vc
        _clear(h)
    h.dt = DT
    out["R_steady_MOhm"] = (out.pop(1.0) - out.pop(-1.0)) / (2.0 * i_test)
    return out


def reference_check(geo=SPINE, t_stop=20.0, n_out=401):
    """The mechanism against the Python reference: a Na alpha current
    (:data:`NA_PEAK` at :data:`NA_TPEAK`) into the head of the ion spine on a clamped
    dendrite. Returns t [ms] and, for both, the head Na [mM] and head - dendrite
    voltage [mV]."""
    from ..ions import IonSpine, cytoplasm
    from ..spinesets import load_spine_params
    g = load_spine_params(geo)
    wave = alpha(NA_PEAK, NA_TPEAK)
    te = np.linspace(0.0, t_stop, n_out)
    ref = IonSpine(g.neck, g.head_volume, cytoplasm(), celsius=CELSIUS).run(
        {"na": wave}, t_stop, t_eval=te)
    mech = clamped_ion_run({"na": wave}, t_stop, te, geo=geo)
    return {"t_ms": te, "head_na_mechanism_mM": mech["nahead"],
            "head_na_reference_mM": ref.head["na"],
            "dV_mechanism_mV": mech["vhead"], "dV_reference_mV": ref.v_head}


def run(out: Path, quick: bool = False, progress=None) -> Result:
    t0 = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from neuron import h

    from ..ions import CYTOPLASM, IonSpine, NEURON_IONS, cytoplasm
    from ..loader import load_mechanisms
    from ..spinesets import load_spine_params
    load_mechanisms()
    h.load_file("stdrun.hoc")
    # the runs set NEURON's ion start values and temperature: restore them afterwards
    saved = {f"{var}0_{ion}": None for ion, var in NEURON_IONS.values()}
    for name in saved:
        try:
            saved[name] = getattr(h, name)
        except (AttributeError, LookupError):
            pass              # an ion NEURON does not have yet (Cl before registration)
    saved_celsius = float(h.celsius)
    steps = 4
    try:
        h.celsius = CELSIUS
        t_stop = 30.0 if quick else 60.0
        traces = {m: epsp(m, t_stop=t_stop) for m in MODELS}
        if progress:
            progress(1, steps)
        res = {m: clamped_resistances(m, t_steady=100.0 if quick else 200.0)
               for m in MODELS}
        refc = reference_check(t_stop=10.0 if quick else 20.0)
        if progress:
            progress(2, steps)
        g0 = load_spine_params(SPINE)
        lengths = GRID_LENGTHS[:2] if quick else GRID_LENGTHS
        g_stop = 60.0 if quick else 150.0          # ms: Na is back halfway in < 15 ms
        geo = {"neck_diam_um": [], "neck_len_um": [], "t_half_na_ms": [],
               "peak_na_rise_mM": [], "invalid": []}
        for d in GRID_DIAMS:
            for length in lengths:
                tr = epsp("cytoplasm", g0.replace(neck_len=length, neck_diam=d),
                          t_stop=g_stop, clamp=True)
                geo["neck_diam_um"].append(d)
                geo["neck_len_um"].append(length)
                geo["t_half_na_ms"].append(half_return_time(tr["t"], tr["nahead"],
                                                            CYTOPLASM["na"]))
                geo["peak_na_rise_mM"].append(float(tr["nahead"].max() - CYTOPLASM["na"]))
                geo["invalid"].append(tr["invalid"])
        if progress:
            progress(3, steps)
    finally:
        for name, val in saved.items():
            if val is not None:
                setattr(h, name, val)
        h.celsius = saved_celsius

    # the reference's steady resistance in this cytoplasm (Na carrying, +-1 pA)
    ref_spine = IonSpine(g0.neck, g0.head_volume, cytoplasm(), celsius=CELSIUS)
    r_ref_steady = (ref_spine.steady_state({"na": 1e-3}).v_head[0]
                    - ref_spine.steady_state({"na": -1e-3}).v_head[0]) / 2e-3
    r_ref_inst = float(ref_spine.run({}, 1e-3, t_eval=[0.0]).resistance[0])

    fig, axs = plt.subplots(2, 3, figsize=(15, 8.4))
    ct = traces["cytoplasm"]
    ax = axs[0, 0]
    for k, m in enumerate(MODELS):
        tr = traces[m]
        ax.plot(tr["t"], tr["vhead"], label=LABELS[m], **STYLES[m])
        ax.plot(tr["t"], tr["vdend"], color=STYLES[m]["color"], lw=0.7, alpha=0.6,
                label="thin: the dendrite under each" if k == len(MODELS) - 1 else None)
    _finish(ax, "t [ms]", "head voltage [mV]",
            f"AMPA {W_AMPA * 1e3:g} nS + NMDA {W_NMDA * 1e3:g} nS, {SPINE} spine",
            (0, 15), legend=7)
    ax = axs[0, 1]
    for name, col in (("na", "C0"), ("k", "C1"), ("cl", "C2")):
        ax.plot(ct["t"], ct[f"{name}head"] - CYTOPLASM[name], color=col,
                label=f"{name.capitalize()} - rest")
    _finish(ax, "t [ms]", "head concentration - rest [mM]",
            "Head Na, K, Cl (SpnpSpineIons)", (0, 30))
    ax = axs[0, 2]
    ax.plot(ct["t"], 1e3 * ct["cahead"], color="C3", label="free Ca")
    _finish(ax, "t [ms]", "head free Ca [uM]", "Head Ca (buffered, extruded)", (0, 30))
    ax = axs[1, 0]
    ax.plot(refc["t_ms"], refc["head_na_reference_mM"] - CYTOPLASM["na"], "C0-", lw=3,
            alpha=0.4, label="Python reference (IonSpine, 40 cells)")
    ax.plot(refc["t_ms"], refc["head_na_mechanism_mM"] - CYTOPLASM["na"], "k--",
            label="SpnpSpineIons")
    _finish(ax, "t [ms]", "head Na - rest [mM]",
            f"Check: Na alpha current {NA_PEAK * 1e3:g} pA, clamped dendrite", legend=7)
    ax = axs[1, 1]
    xs = np.arange(len(MODELS))
    ax.bar(xs - 0.2, [res[m]["R_inst_MOhm"] for m in MODELS], 0.4, label="instantaneous")
    ax.bar(xs + 0.2, [res[m]["R_steady_MOhm"] for m in MODELS], 0.4,
           label="steady (Na carrying)")
    ax.plot([-0.2, 0.2], [r_ref_inst, r_ref_steady], "k_", ms=18, mew=2,
            label="Python reference")
    ax.set_xticks(xs)
    ax.set_xticklabels(["cytoplasm", "binary salt", "Ohmic"], fontsize=8)
    _finish(ax, "", "neck resistance [MOhm]", "Neck resistance", legend=7)
    ax = axs[1, 2]
    for length in lengths:
        sel = [k for k, v in enumerate(geo["neck_len_um"]) if v == length]
        ax.plot([1e3 * geo["neck_diam_um"][k] for k in sel],
                [geo["t_half_na_ms"][k] for k in sel], "o-", label=f"L = {length:g} um")
    ax.set_ylim(bottom=0)
    _finish(ax, "neck diameter [nm]", "head Na half-return time [ms]",
            "Na clearance after one event (clamped dendrite)")
    fig.tight_layout()
    figs = [save_figure(fig, out, "ions.png")]

    t = ct["t"]
    cols = {"t_ms": t}
    for m in MODELS:
        key = m.replace("-", "_")
        cols[f"vhead_{key}_mV"] = np.interp(t, traces[m]["t"], traces[m]["vhead"])
        cols[f"vdend_{key}_mV"] = np.interp(t, traces[m]["t"], traces[m]["vdend"])
        cols[f"ineck_{key}_nA"] = np.interp(t, traces[m]["t"], traces[m]["ineck"])
    for s in HEAD_IONS:
        cols[f"head_{s}_mM"] = ct[f"{s}head"]
    cols["chead_binary_mM"] = np.interp(t, traces["binary"]["t"], traces["binary"]["chead"])
    csvs = [save_csv(out, "ions_timecourse.csv", cols),
            save_csv(out, "ions_reference.csv", refc),
            save_csv(out, "ions_resistance.csv", {
                "model": list(MODELS),
                "R_inst_MOhm": [res[m]["R_inst_MOhm"] for m in MODELS],
                "R_steady_MOhm": [res[m]["R_steady_MOhm"] for m in MODELS]}),
            save_csv(out, "ions_geometry.csv", geo)]
    if progress:
        progress(4, steps)

    rest_na = CYTOPLASM["na"]
    dna = np.abs(refc["head_na_mechanism_mM"] - refc["head_na_reference_mM"])
    numbers = {}
    for m in MODELS:
        tr, key = traces[m], m.split("-")[0]
        numbers[f"peak_vhead_{key}_mV"] = float(tr["vhead"].max())
        numbers[f"peak_neck_drop_{key}_mV"] = float((tr["vhead"] - tr["vdend"]).max())
        numbers[f"peak_ineck_{key}_pA"] = float(1e3 * tr["ineck"].max())
    numbers.update({
        "peak_head_na_rise_mM": float(ct["nahead"].max() - rest_na),
        "peak_head_k_change_mM": float((ct["khead"] - CYTOPLASM["k"])[
            np.argmax(np.abs(ct["khead"] - CYTOPLASM["k"]))]),
        "t_half_na_ms": half_return_time(ct["t"], ct["nahead"], rest_na),
        "R_inst_cytoplasm_MOhm": res["cytoplasm"]["R_inst_MOhm"],
        "R_steady_cytoplasm_MOhm": res["cytoplasm"]["R_steady_MOhm"],
        "R_inst_reference_MOhm": r_ref_inst,
        "R_steady_reference_MOhm": float(r_ref_steady),
        "R_inst_binary_MOhm": res["binary"]["R_inst_MOhm"],
        "R_steady_binary_MOhm": res["binary"]["R_steady_MOhm"],
        "R_ohmic_MOhm": res["ohmic-ra"]["R_steady_MOhm"],
        "max_head_na_vs_reference_mM": float(dna.max()),
        "peak_head_na_rise_reference_mM": float(refc["head_na_reference_mM"].max()
                                                - rest_na),
    })
    n = numbers
    d_ca = 1e3 * (ct["cahead"] - CYTOPLASM["ca"])              # uM
    n["largest_head_ca_change_uM"] = float(d_ca[np.argmax(np.abs(d_ca))])
    ca_text = (f"rises by up to {n['largest_head_ca_change_uM']:.3f} uM (NMDA's Ca "
               "share)" if n["largest_head_ca_change_uM"] > 0 else
               f"falls by up to {-n['largest_head_ca_change_uM']:.4f} uM: near rest NMDA "
               "is Mg-blocked and the head's positive potential drives Ca2+ out through "
               "the neck")
    caption = (
        f"One AMPA ({W_AMPA * 1e3:g} nS) + NMDA ({W_NMDA * 1e3:g} nS) event on a thin "
        "spine in the middle of a passive dendrite. Peak head voltage above rest: "
        f"{n['peak_vhead_cytoplasm_mV'] - V_REST:.2f} mV with SpnpSpineIons in "
        f"cytoplasm, {n['peak_vhead_binary_mV'] - V_REST:.2f} mV in the binary salt, "
        f"{n['peak_vhead_ohmic_mV'] - V_REST:.2f} mV Ohmic; peak neck current "
        f"{n['peak_ineck_cytoplasm_pA']:.0f}, {n['peak_ineck_binary_pA']:.0f} and "
        f"{n['peak_ineck_ohmic_pA']:.0f} pA (the ion spine's AMPA and NMDA are "
        "Goldman-Hodgkin-Katz Na/K currents, SpnpSpine's a conductance to 0 mV); peak "
        f"neck drop {n['peak_neck_drop_cytoplasm_mV']:.2f}, "
        f"{n['peak_neck_drop_binary_mV']:.2f} and {n['peak_neck_drop_ohmic_mV']:.2f} mV. "
        f"Head Na rises {n['peak_head_na_rise_mM']:.2f} mM while head K falls "
        f"{-n['peak_head_k_change_mM']:.2f} mM (AMPA lets K out); head Na returns "
        f"halfway in {n['t_half_na_ms']:.1f} ms. Free Ca {ca_text}. Neck resistance in "
        "cytoplasm: "
        f"{n['R_inst_cytoplasm_MOhm']:.1f} MOhm instantaneous, "
        f"{n['R_steady_cytoplasm_MOhm']:.1f} MOhm steady for a Na current (Python "
        f"reference {r_ref_inst:.1f} and {r_ref_steady:.1f}); binary salt "
        f"{n['R_inst_binary_MOhm']:.1f} and {n['R_steady_binary_MOhm']:.1f} MOhm; "
        f"Ohmic {n['R_ohmic_MOhm']:.1f} MOhm. Check against the Python reference "
        f"(Na alpha current, {NA_PEAK * 1e3:g} pA peak, clamped dendrite): head Na within "
        f"{n['max_head_na_vs_reference_mM']:.3f} mM of a "
        f"{n['peak_head_na_rise_reference_mM']:.2f} mM rise.")
    return Result(NAME, TITLE, caption, figs, csvs, numbers, time.perf_counter() - t0)
