"""Ohm's law vs electro-diffusion for every driven spine of a reconstructed neuron.

NEURON's demo pyramidal cell (:func:`spinepnp.morphology.build_spiny_pyramid`: hh soma,
passive dendrites, 1 thin spine per um with geometry drawn from the literature
distributions, undriven spines folded) receives one AMPA event on each of its driven
spines in turn, far enough apart that each EPSP has decayed (5 membrane time
constants) before the next. The same spines, the same events, under three neck laws:
the dynamic electroneutral PNP neck (``pnp-dynamic``, the reference), the Ohmic neck
with the law's small-signal R0 (``ohmic``) and the Ohmic neck with a typical cytoplasmic
Ra of 150 Ohm cm (``ohmic-ra``). Per spine: head, dendrite (the parent segment) and soma
EPSP peaks and the Ohmic laws' relative deviation from ``pnp-dynamic``; drawn on the
morphology, as a distribution, and as CSV.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..constants import DEFAULT_RA
from .common import Result, save_csv, save_figure

NAME = "cell"
TITLE = "Spiny pyramidal cell: Ohmic vs PNP necks at every driven spine"
CELL_LAWS = ("pnp-dynamic", "ohmic", "ohmic-ra")
LAW_LABELS = {"pnp-dynamic": "dynamic PNP", "ohmic": "Ohmic R0",
              "ohmic-ra": f"Ohmic Ra = {DEFAULT_RA:g} Ohm cm"}
CELSIUS = 20.0      # degC : the laws' calibration temperature (subthreshold runs only)
W_AMPA = 0.001      # uS : one AMPA event of 1 nS peak conductance
WINDOW = 50.0       # ms : per spine, 5 membrane time constants (Rm Cm = 10 ms)
OFF_PCT = 5.0       # % : the deviation counted as "off"
DT = 0.025          # ms


def spine_epsps(law: str, n_driven: int, seed: int = 0, params="thin-dist",
                density=1.0) -> dict:
    """EPSP peaks [mV] at head, parent segment and soma of each of ``n_driven`` spines
    (chosen by :meth:`SpinePopulation.choose` with ``seed``), one event each, under
    ``law``. Also returns the spines' positions and geometry."""
    from neuron import h
    from ..loader import load_mechanisms
    from ..morphology import build_spiny_pyramid
    load_mechanisms()
    h.load_file("stdrun.hoc")
    h.celsius = CELSIUS
    cell = build_spiny_pyramid(law, density, params, seed)
    pop = cell.spines
    idx = pop.choose(n_driven, seed)
    spines = pop.unfold(idx)
    starts = 5.0 + WINDOW * np.arange(idx.size)
    keep, recs = [], []
    for sp, t0 in zip(spines, starts):
        ns = h.NetStim()
        ns.number, ns.start, ns.noise = 1, float(t0), 0.0
        nc = sp.netcon(ns, W_AMPA, 0.0, delay=0.0)
        tvec = h.Vector(np.arange(t0 - 1.0, t0 + WINDOW - 2.0, DT))
        rh, rd, rs = h.Vector(), h.Vector(), h.Vector()
        rh.record(sp.head_v_ref, tvec)
        rd.record(sp.seg._ref_v, tvec)
        rs.record(cell.soma(0.5)._ref_v, tvec)
        keep += [ns, nc, tvec]
        recs.append((rh, rd, rs))
    h.dt = DT
    h.finitialize(-65.0)
    h.continuerun(float(starts[-1] + WINDOW) if idx.size else 10.0)
    peaks = {"head": [], "dend": [], "soma": []}
    for rh, rd, rs in recs:
        for key, vec in zip(("head", "dend", "soma"), (rh, rd, rs)):
            v = np.array(vec)
            peaks[key].append(float(v.max() - v[0]))     # v[0]: 1 ms before the event
    out = {k: np.array(v) for k, v in peaks.items()}
    out.update(index=idx, section=[pop.section[i] for i in idx], x=pop.x[idx],
               distance=pop.distance[idx], neck_len=pop.neck_len[idx],
               neck_diam=pop.neck_diam[idx], head_diam=pop.head_diam[idx],
               r0=np.array([sp.r0 for sp in spines]), n_spines=len(pop),
               n_segments=cell.n_segments)
    shape = _shape(cell.morphology.sections, pop, idx)
    out["shape"] = shape
    del keep, recs, spines, pop, cell
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    return out


def _shape(sections, pop, idx):
    """3-D polylines (x, y) of every section and the (x, y) of the spines ``idx``."""
    lines = []
    for sec in sections:
        n = int(sec.n3d())
        lines.append(np.array([[sec.x3d(i), sec.y3d(i)] for i in range(n)]))
    pts = []
    secs = {s.name(): s for s in sections}
    for i in idx:
        sec = secs[pop.section[i]]
        n = int(sec.n3d())
        arc = np.array([sec.arc3d(k) for k in range(n)]) / sec.L
        pts.append([np.interp(pop.x[i], arc, [sec.x3d(k) for k in range(n)]),
                    np.interp(pop.x[i], arc, [sec.y3d(k) for k in range(n)])])
    return lines, np.array(pts).reshape(-1, 2)


def run(out: Path, quick: bool = False, progress=None) -> Result:
    t0 = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    n_driven = 12 if quick else 300
    res = {}
    for k, law in enumerate(CELL_LAWS):
        res[law] = spine_epsps(law, n_driven)
        if progress:
            progress(k + 1, len(CELL_LAWS))
    ref = res["pnp-dynamic"]
    for law in CELL_LAWS[1:]:      # the same spines, the same geometry in every run
        assert np.array_equal(res[law]["index"], ref["index"])
        assert np.array_equal(res[law]["neck_diam"], ref["neck_diam"])
    dev = {(law, site): 100.0 * (res[law][site] - ref[site]) / ref[site]
           for law in CELL_LAWS[1:] for site in ("head", "dend", "soma")}
    cols = {"spine": ref["index"], "section": ref["section"], "x": ref["x"],
            "distance_um": ref["distance"], "neck_len_um": ref["neck_len"],
            "neck_diam_um": ref["neck_diam"], "head_diam_um": ref["head_diam"],
            "r0_MOhm": ref["r0"]}
    for law in CELL_LAWS:
        for site in ("head", "dend", "soma"):
            cols[f"{site}_epsp_{law}_mV"] = res[law][site]
    for (law, site), d in dev.items():
        cols[f"{site}_dev_{law}_pct"] = d
    csvs = [save_csv(out, "cell_spines.csv", cols)]

    fig, ax = plt.subplots(1, 3, figsize=(15, 6), width_ratios=(1, 1, 1.4))
    lines, pts = ref["shape"]
    for a, law in zip(ax[:2], CELL_LAWS[1:]):
        a.add_collection(LineCollection(lines, colors="0.6", linewidths=0.6))
        d = dev[(law, "head")]
        lim = max(float(np.max(np.abs(d))), 1e-3)
        sc = a.scatter(pts[:, 0], pts[:, 1], c=d, cmap="coolwarm", vmin=-lim, vmax=lim,
                       s=12, zorder=3)
        fig.colorbar(sc, ax=a, label="head EPSP deviation from dynamic PNP [%]")
        a.set_aspect("equal")
        a.autoscale()
        a.set_title(f"{LAW_LABELS[law]}: head EPSP vs dynamic PNP", fontsize=10)
        a.set_xlabel("x [um]")
        a.set_ylabel("y [um]")
    bins = 30
    numbers = {"spines on the cell": ref["n_spines"], "driven spines": len(ref["index"]),
               "segments": ref["n_segments"]}
    for law in CELL_LAWS[1:]:
        for site, style in (("head", "-"), ("soma", ":")):
            d = dev[(law, site)]
            ax[2].hist(d, bins=bins, histtype="step", ls=style,
                       label=f"{LAW_LABELS[law]}, {site}")
            frac = float(np.mean(np.abs(d) > OFF_PCT))
            numbers[f"fraction off by > {OFF_PCT:g} %, {law}, {site}"] = frac
            numbers[f"median deviation, {law}, {site} [%]"] = float(np.median(d))
    for v in (-OFF_PCT, OFF_PCT):
        ax[2].axvline(v, color="0.5", lw=0.6)
    ax[2].set_xlabel("EPSP deviation from dynamic PNP [%]")
    ax[2].set_ylabel("number of spines")
    ax[2].legend(fontsize=7)
    ax[2].set_title("distribution over the driven spines", fontsize=10)
    fig.suptitle(f"NEURON's demo pyramid, {ref['n_spines']} spines (1 per um), "
                 f"{len(ref['index'])} driven by one {W_AMPA * 1e3:g} nS AMPA event each")
    fig.tight_layout()
    figs = [save_figure(fig, out, "cell.png")]
    n = numbers
    caption = (
        f"{len(ref['index'])} of the {ref['n_spines']} spines of NEURON's demo pyramidal "
        "cell (thin-spine geometry drawn per spine from Harris et al. 1992's "
        "distributions; the others folded into the dendrite), each receiving one "
        f"{W_AMPA * 1e3:g} nS AMPA event. Relative to the dynamic PNP neck, the head "
        f"EPSP of the Ohmic R0 neck has a median deviation of "
        f"{n['median deviation, ohmic, head [%]']:+.2f} % "
        f"({100 * n[f'fraction off by > {OFF_PCT:g} %, ohmic, head']:.0f} % of spines off "
        f"by more than {OFF_PCT:g} %); with Ra = {DEFAULT_RA:g} Ohm cm "
        f"{n['median deviation, ohmic-ra, head [%]']:+.2f} % "
        f"({100 * n[f'fraction off by > {OFF_PCT:g} %, ohmic-ra, head']:.0f} % off by more "
        f"than {OFF_PCT:g} %). At the soma: "
        f"{n['median deviation, ohmic, soma [%]']:+.2f} % and "
        f"{n['median deviation, ohmic-ra, soma [%]']:+.2f} %. Per-spine numbers in "
        "cell_spines.csv.")
    return Result(NAME, TITLE, caption, figs, csvs, numbers, time.perf_counter() - t0)
