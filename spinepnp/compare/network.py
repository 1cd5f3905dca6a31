"""A network of spiny neurons (summary eq 16) with Ohmic vs PNP spines.

The same network (:func:`spinepnp.build.build_network`: connectivity, delays and the
external Poisson drive fixed by the seed) is run with each spine law; only the spine
model changes. Reported: spike rasters, population rate and the per-cell spike counts.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .common import Result, save_csv, save_figure

NAME = "network"
TITLE = "Spiny network: Ohmic vs PNP spines"
NET_LAWS = ("explicit-ra", "ohmic", "pnp", "pnp-dynamic")
CELSIUS = 6.3     # degC : NEURON's hh fires robustly here (see models/spiny_network.py)


def run_network(law: str, n_cells: int, t_stop: float, seed: int = 1) -> np.ndarray:
    """Spikes (gid, t [ms]) of the network with spines of ``law``."""
    from neuron import h
    from ..build import NetworkSpec, build_network
    from ..loader import load_mechanisms
    load_mechanisms()
    h.load_file("stdrun.hoc")
    h.celsius = CELSIUS
    net = build_network(NetworkSpec(n_cells=n_cells, law=law, seed=seed))
    spikes = net.run(t_stop)
    net.pc.gid_clear()
    del net
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    return spikes


def run(out: Path, quick: bool = False, progress=None) -> Result:
    t0 = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_cells = 12 if quick else 40
    t_stop = 200.0 if quick else 1000.0
    res = {}
    for k, law in enumerate(NET_LAWS):
        res[law] = run_network(law, n_cells, t_stop)
        if progress:
            progress(k + 1, len(NET_LAWS))
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    rows = {"law": [], "gid": [], "t_ms": []}
    numbers = {}
    counts = {}
    for k, law in enumerate(NET_LAWS):
        s = res[law]
        ax[0].plot(s[:, 1], s[:, 0] + k * (n_cells + 2), "|", ms=3, color=f"C{k}",
                   label=law)
        rows["law"] += [law] * len(s)
        rows["gid"] += [int(g) for g in s[:, 0]]
        rows["t_ms"] += [float(t) for t in s[:, 1]]
        counts[law] = np.bincount(s[:, 0].astype(int), minlength=n_cells)
        numbers[f"mean rate, {law} [Hz]"] = float(1000.0 * len(s) / (n_cells * t_stop))
    ax[0].set_xlabel("t [ms]")
    ax[0].set_ylabel("cell (blocks: spine law)")
    ax[0].set_yticks([k * (n_cells + 2) + n_cells / 2 for k in range(len(NET_LAWS))])
    ax[0].set_yticklabels(NET_LAWS)
    ax[0].set_title(f"{n_cells} spiny neurons, same wiring and drive")
    ref = counts["pnp-dynamic"]
    # cells with equal counts coincide: hollow markers of decreasing size keep each
    # law's marker visible inside the others'
    markers = ["o", "s", "D", "^", "v", "x"]
    for k, law in enumerate(NET_LAWS):
        ax[1].plot(ref, counts[law], markers[k % len(markers)], color=f"C{k}", label=law,
                   ms=11 - 2.5 * k, mfc="none", mew=1.3)
        numbers[f"cells whose spike count differs from pnp-dynamic, {law}"] = int(
            np.sum(counts[law] != ref))
    lim = max(int(max(c.max() for c in counts.values())), 1) + 1
    ax[1].plot([0, lim], [0, lim], "k:", lw=0.8)
    ax[1].set_xlabel("spike count per cell, dynamic PNP spines")
    ax[1].set_ylabel("spike count per cell, each spine law")
    ax[1].legend(fontsize=8)
    ax[1].set_title("per-cell spike counts")
    figs = [save_figure(fig, out, "network.png")]
    csvs = [save_csv(out, "network_spikes.csv", rows),
            save_csv(out, "network_counts.csv",
                     dict({"gid": np.arange(n_cells)},
                          **{f"n_spikes_{law}": counts[law] for law in NET_LAWS}))]
    caption = (f"{n_cells} HH neurons with spiny dendrites (summary eq 16: sparse fixed "
               "in-degree, 20 % inhibitory on the shaft, excitatory AMPA+NMDA on spine "
               f"heads, Poisson drive), {t_stop:g} ms at {CELSIUS:g} degC. Mean rates: " +
               ", ".join(f"{law} {numbers[f'mean rate, {law} [Hz]']:.1f} Hz"
                         for law in NET_LAWS) +
               ". Cells whose spike count differs from the dynamic-PNP network: " +
               ", ".join(f"{law} {numbers[f'cells whose spike count differs from pnp-dynamic, {law}']}"
                         for law in NET_LAWS) + ".")
    return Result(NAME, TITLE, caption, figs, csvs, numbers, time.perf_counter() - t0)
