"""Shared pieces of the comparisons: the result record and atomic outputs (the progress
bar is :class:`spinepnp.progress.Progress`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import atomic_path, write_csv_atomic

__all__ = ["Result", "save_figure", "save_csv", "LAW_STYLES"]

#: Line style and marker of each spine law (spinepnp.build.LAWS) in every figure, so
#: that curves that coincide stay distinguishable (markers every few points).
LAW_STYLES = {
    "pnp-dynamic": dict(color="C3", ls="-", marker=None),
    "pnp": dict(color="C0", ls="--", marker=None),
    "ohmic": dict(color="C2", ls=":", marker="o", ms=3.5, markevery=0.08),
    "explicit": dict(color="C1", ls="-.", marker="s", ms=3.0, markevery=(0.04, 0.08)),
    "ohmic-ra": dict(color="C4", ls="--", marker="^", ms=3.5, markevery=0.08),
    "explicit-ra": dict(color="C5", ls=":", marker="v", ms=3.5, markevery=(0.04, 0.08)),
}


@dataclass
class Result:
    """What one comparison produced.

    Attributes
    ----------
    name : str
        Short name (``fig1``, ``validity``...).
    title : str
        One-line title for the report.
    caption : str
        What the figure shows and its key numbers (Markdown).
    figures, csvs : list of Path
        Files written (relative to the output folder).
    numbers : dict
        Key numbers (name -> value), also printed and written in the report.
    seconds : float
        Wall time [s].
    """

    name: str
    title: str
    caption: str = ""
    figures: list = field(default_factory=list)
    csvs: list = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    seconds: float = 0.0


def save_figure(fig, out: Path, name: str) -> Path:
    """Save a matplotlib figure atomically as ``out/name`` (PNG); return the name."""
    with atomic_path(Path(out) / name) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return Path(name)


def save_csv(out: Path, name: str, columns: dict) -> Path:
    """Write equal-length columns (name -> array) as ``out/name`` atomically."""
    cols = {k: np.atleast_1d(np.asarray(v)) for k, v in columns.items()}
    n = {len(v) for v in cols.values()}
    if len(n) != 1:
        raise ValueError(f"CSV columns of {name} differ in length: "
                         f"{ {k: len(v) for k, v in cols.items()} }")
    rows = zip(*[[float(x) if np.issubdtype(np.asarray(v).dtype, np.number) else x
                  for x in v] for v in cols.values()])
    write_csv_atomic(Path(out) / name, list(cols), rows)
    return Path(name)
