"""Ohm-validity map: where the electro-diffusion law departs from Ohm's by more than 5 %.

Over neck radius and injected current, the % deviation of the PNP neck voltage from the
Ohmic one calibrated to the same small-signal resistance R0 (only the nonlinearity
differs), for a steady current (the analytic law) and, when the dynamic neck is
available, for the peak of a 5 ms EPSP-like current, with the 5 % contour.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import laws
from .common import Result, save_csv, save_figure

NAME = "validity"
TITLE = "Ohm-validity map"

LENGTH = 1.0        # um : neck length
CONC = 167.0        # mM
DIFF = 1.33         # um2/ms (Na)
CELSIUS = 20.0      # degC


def steady_deviation(radius, current, length=LENGTH, conc=CONC, diffusion=DIFF,
                     celsius=CELSIUS):
    """% deviation of the steady PNP voltage from R0 I (cylinder neck) [%].

    Parameters
    ----------
    radius : array_like
        Neck radius [um].
    current : array_like
        Injected current [nA] (broadcast against ``radius``; must exceed -I_s).
    """
    r, i = np.broadcast_arrays(np.asarray(radius, float), np.asarray(current, float))
    dev = np.empty(r.shape)
    for idx in np.ndindex(r.shape):
        neck = laws.Cylinder(length, float(r[idx]))
        if i[idx] == 0:
            dev[idx] = 0.0
            continue
        r0 = laws.ohmic_resistance(neck, conc, diffusion, celsius)
        dev[idx] = 100.0 * (laws.resistance(float(i[idx]), neck, conc, diffusion,
                                            celsius) / r0 - 1.0)
    return dev


def contour_current(radius, percent=5.0, sign=1.0, length=LENGTH, conc=CONC,
                    diffusion=DIFF, celsius=CELSIUS):
    """Current [nA] at which the steady deviation reaches ``percent`` % (in size).

    The deviation depends on y = I/I_s only: ln(1+y)/y - 1; the root in y is found once
    and scaled by each radius's I_s.
    """
    from scipy.optimize import brentq
    target = -abs(percent) / 100.0 if sign > 0 else abs(percent) / 100.0
    f = lambda y: np.log1p(y) / y - 1.0 - target
    y = brentq(f, 1e-9, 50.0) if sign > 0 else brentq(f, -0.999999, -1e-9)
    i_s = np.array([laws.saturation_current(laws.Cylinder(length, float(r)), conc,
                                            diffusion, celsius)
                    for r in np.atleast_1d(radius)])
    return y * i_s


def run(out: Path, quick: bool = False, progress=None) -> Result:
    t0 = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nr, ni = (25, 41) if quick else (60, 121)
    radius = np.linspace(0.025, 0.2, nr)                  # um
    current = np.linspace(-0.1, 0.3, ni)                  # nA
    rr, ii = np.meshgrid(radius, current, indexing="ij")
    i_s = np.array([laws.saturation_current(laws.Cylinder(LENGTH, r), CONC, DIFF)
                    for r in radius])
    valid = ii > -0.98 * i_s[:, None]                     # beyond saturation: no state
    dev = np.full(rr.shape, np.nan)
    dev[valid] = steady_deviation(rr[valid], ii[valid])
    if progress:
        progress(1, 2)
    c_pos = contour_current(radius, 5.0, +1)
    c_neg = contour_current(radius, 5.0, -1)

    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    lim = 50.0
    pcm = ax[0].pcolormesh(radius * 1e3, current * 1e3, np.clip(dev, -lim, lim).T,
                           cmap="RdBu_r", vmin=-lim, vmax=lim, shading="auto")
    cs = ax[0].contour(radius * 1e3, current * 1e3, np.abs(np.nan_to_num(dev, nan=1e3)).T,
                       levels=[5.0], colors="k")
    ax[0].clabel(cs, fmt="5 %%")
    ax[0].fill_between(radius * 1e3, -0.1e3, -i_s * 1e3, color="0.6",
                       label="beyond saturation (no steady state)")
    ax[0].set_ylim(current[0] * 1e3, current[-1] * 1e3)
    ax[0].set_xlabel("neck radius [nm]  (L = 1 um, 167 mM, D = 1.33 um2/ms)")
    ax[0].set_ylabel("steady current into the head [pA]")
    ax[0].set_title("steady: 100 (R_PNP(I) / R0 - 1)  [%]")
    ax[0].legend(loc="upper left", fontsize=8)
    fig.colorbar(pcm, ax=ax[0], label="deviation from Ohm [%]")
    ax[1].plot(radius * 1e3, c_pos * 1e3, "k-", label="+5 % contour (current in)")
    ax[1].plot(radius * 1e3, -c_neg * 1e3, "k--", label="-5 % contour (current out), size")
    ax[1].plot(radius * 1e3, i_s * 1e3, "r:", label="saturation current I_s")
    ax[1].set_yscale("log")
    ax[1].set_xlabel("neck radius [nm]")
    ax[1].set_ylabel("current [pA]")
    ax[1].set_title("Ohm holds to 5 % below these currents")
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    figs = [save_figure(fig, out, "validity_map.png")]
    csvs = [save_csv(out, "validity_map.csv",
                     {"radius_um": rr[valid], "current_nA": ii[valid],
                      "deviation_percent": dev[valid]}),
            save_csv(out, "validity_contour.csv",
                     {"radius_um": radius, "Isat_nA": i_s,
                      "I_5pct_in_nA": c_pos, "I_5pct_out_nA": c_neg})]
    if progress:
        progress(2, 2)
    k50 = int(np.argmin(np.abs(radius - 0.05)))
    numbers = {"I_5pct_in_at_50nm_pA": float(c_pos[k50] * 1e3),
               "I_5pct_out_at_50nm_pA": float(c_neg[k50] * 1e3),
               "Isat_at_50nm_pA": float(i_s[k50] * 1e3),
               "fraction_of_Isat_5pct_in": float(c_pos[k50] / i_s[k50])}
    caption = (
        "Deviation of the steady electro-diffusion neck voltage from Ohm's law with the "
        "same small-signal R0, over neck radius and current (1 um cylinder, 167 mM, "
        "Na diffusion). The deviation depends only on I/I_s, so the 5 % contour is a "
        f"fixed fraction of the saturation current: {numbers['fraction_of_Isat_5pct_in']:.3f} "
        f"I_s for current into the head ({numbers['I_5pct_in_at_50nm_pA']:.1f} pA at "
        f"r = 50 nm) and {abs(c_neg[k50] / i_s[k50]):.3f} I_s out of it "
        f"({abs(numbers['I_5pct_out_at_50nm_pA']):.1f} pA). Synaptic currents of tens of pA "
        "exceed it in necks thinner than ~100 nm.")
    return Result(NAME, TITLE, caption, figs, csvs, numbers, time.perf_counter() - t0)
