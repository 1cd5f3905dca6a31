"""Figures of 2-D PNP results (matplotlib, imported only here)."""

from __future__ import annotations

import numpy as np

__all__ = ["figure_steady", "figure_transient"]


def _field(ax, sol, values, label, cmap):
    import matplotlib.tri as mtri
    m = sol.problem.mesh
    p = m.p
    # mirror the half plane so the spine is drawn whole
    tri = mtri.Triangulation(np.concatenate([p[0], -p[0]]), np.concatenate([p[1], p[1]]),
                             np.hstack([m.t, m.t + p.shape[1]]).T)
    pc = ax.tripcolor(tri, np.concatenate([values, values]), shading="gouraud", cmap=cmap)
    ax.set_aspect("equal")
    ax.set_xlabel("r [um]")
    ax.set_ylabel("z [um]")
    ax.figure.colorbar(pc, ax=ax, label=label, shrink=0.8)


def figure_steady(sol, iv=None):
    """Potential and carrier maps of ``sol``, its axis profile, and the I-V curve
    ``iv`` (dict of name -> (currents [nA], potentials [mV])) if given."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    ncol = 4 if iv else 3
    fig = Figure(figsize=(4.2 * ncol, 4.6), layout="constrained")
    axs = fig.subplots(1, ncol)
    P = sol.problem
    _field(axs[0], sol, sol.v, "V [mV]", "viridis")
    axs[0].set_title(f"potential, I = {1e3 * sol.current:g} pA", fontsize=9)
    _field(axs[1], sol, sol.c[P.carrier], f"c_{P.carrier} [mM]", "magma")
    axs[1].set_title(f"carrier {P.carrier}", fontsize=9)
    z, v, c = sol.axis_profile()
    ax = axs[2]
    ax.plot(z, v, "k", label="V on the axis")
    ax.set_xlabel("z [um] (axis r = 0)")
    ax.set_ylabel("V [mV]")
    ax2 = ax.twinx()
    for name, cc in c.items():
        ax2.plot(z, cc, "--", lw=0.8, label=name)
    ax2.set_ylabel("c [mM]")
    ax2.legend(fontsize="x-small", loc="center left")
    ax.set_title("profile along the axis", fontsize=9)
    if iv:
        ax = axs[3]
        for name, (i, vv) in iv.items():
            ax.plot(1e3 * np.asarray(i), vv, "o-" if "2-D" in name else "--", ms=3,
                    label=name)
        ax.set_xlabel("I [pA]")
        ax.set_ylabel("V [mV]")
        ax.legend(fontsize="x-small")
        ax.set_title("steady I-V", fontsize=9)
    return fig


def figure_transient(tr, reference=None):
    """Time course of a :class:`Transient2D` (head centre, max, cap) and the last
    state's potential map; ``reference``: optional (t, V) of another model."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    fig = Figure(figsize=(11, 4.4), layout="constrained")
    a, b = fig.subplots(1, 2)
    a.plot(tr.t, tr.v_centre, "k", label="2-D head centre")
    a.plot(tr.t, tr.v_max, "C3", lw=0.8, label="2-D max over the domain")
    a.plot(tr.t, tr.v_cap, "C1", lw=0.8, ls=":", label="2-D cap average")
    if reference is not None:
        a.plot(reference[0], reference[1], "C0--", label=reference[2] if len(reference) > 2
               else "reference")
    a.set_xlabel("t [ms]")
    a.set_ylabel("V [mV]")
    a.legend(fontsize="small")
    _field(b, tr.final, tr.final.v, "V [mV]", "viridis")
    b.set_title(f"potential at t = {tr.t[-1]:g} ms", fontsize=9)
    return fig
