"""Figures of PNP runs. matplotlib is imported inside the functions (never at import of
:mod:`spinepnp.pnp`), and figures are built with the object API (no pyplot state)."""

from __future__ import annotations

import numpy as np

__all__ = ["figure_sweep", "figure_transient", "save_figure"]


def _figure(ncols):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4.2 * ncols, 3.6), layout="constrained")
    return fig, fig.subplots(1, ncols)


def figure_sweep(iv, law=None, ohm=None, profiles=()):
    """V(x) and c(x) profiles and the I-V curve with the law and Ohm overlaid.

    Parameters
    ----------
    iv : IVCurve
        The sweep.
    law, ohm : ndarray or None
        Law and Ohmic head potentials [mV] at ``iv.current``.
    profiles : sequence of SteadySolution
        Solutions whose V(x) (and, for the last, c(x)) are drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax_v, ax_c, ax_iv) = _figure(3)
    for s in profiles:
        ax_v.plot(s.x, s.v, label=f"{s.current * 1e3:.3g} pA")
    ax_v.set(xlabel="x from dendrite [um]", ylabel="V [mV]", title="potential")
    if profiles:
        ax_v.legend(fontsize="small")
        s = profiles[-1]
        for name, c in s.c.items():
            ax_c.plot(s.x, c, label=name)
        ax_c.set(xlabel="x from dendrite [um]", ylabel="c [mM]",
                 title=f"concentrations at {s.current * 1e3:.3g} pA")
        ax_c.legend(fontsize="small")
    order = np.argsort(iv.current)
    i_pa = iv.current[order] * 1e3
    ax_iv.plot(i_pa, iv.v_bulk[order], "o", ms=3, label="PNP (bulk head)")
    if law is not None:
        ax_iv.plot(i_pa, np.asarray(law)[order], "-", label="electroneutral law")
    if ohm is not None:
        ax_iv.plot(i_pa, np.asarray(ohm)[order], "--", label="Ohm (R0)")
    ax_iv.set(xlabel="injected current [pA]", ylabel="head - dendrite V [mV]",
              title="I-V")
    ax_iv.legend(fontsize="small")
    return fig


def figure_transient(tr, law=None, ohm=None, n_profiles=5):
    """V(x) and c(x) at several times, and head potential against current.

    Parameters
    ----------
    tr : TransientSolution
        The run.
    law, ohm : callable or None
        ``law(I) -> mV`` and ``ohm(I) -> mV`` steady head potentials for overlay.
    n_profiles : int
        Number of sample times drawn in the profile panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax_v, ax_c, ax_iv) = _figure(3)
    ks = np.unique(np.linspace(0, len(tr.t) - 1, n_profiles).round().astype(int))
    for k in ks:
        line, = ax_v.plot(tr.x, tr.v[k], label=f"t = {tr.t[k]:.3g} ms")
        for j, (name, c) in enumerate(tr.c.items()):
            ax_c.plot(tr.x, c[k], color=line.get_color(),
                      ls=("-", "--", ":", "-.")[j % 4],
                      label=name if k == ks[-1] else None)
    ax_v.set(xlabel="x from dendrite [um]", ylabel="V [mV]", title="potential")
    ax_v.legend(fontsize="small")
    ax_c.set(xlabel="x from dendrite [um]", ylabel="c [mM]",
             title="concentrations (line style = species)")
    ax_c.legend(fontsize="small")
    i_pa = tr.current * 1e3
    ax_iv.plot(i_pa, tr.head_potential, ".-", ms=3, label="PNP head (transient)")
    grid = np.linspace(min(0.0, tr.current.min()), max(0.0, tr.current.max()), 100)
    if law is not None:
        ax_iv.plot(grid * 1e3, [law(i) for i in grid], "-", label="steady law")
    if ohm is not None:
        ax_iv.plot(grid * 1e3, [ohm(i) for i in grid], "--", label="Ohm (R0)")
    ax_iv.set(xlabel="injected current [pA]", ylabel="head - dendrite V [mV]",
              title="head potential vs current")
    ax_iv.legend(fontsize="small")
    return fig


def save_figure(fig, path, dpi=120):
    """Write ``fig`` to ``path`` atomically (temporary file, then rename)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ..io import atomic_path
    FigureCanvasAgg(fig)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=str(path).rsplit(".", 1)[-1])
    return path
