"""Shared pieces of the comparisons: the result record, progress, atomic outputs."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import atomic_path, write_csv_atomic

__all__ = ["Result", "Progress", "save_figure", "save_csv"]


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


class Progress:
    """A progress bar on stderr (a line per update when stderr is not a terminal)."""

    def __init__(self, total: int, label: str = "", stream=None, width: int = 30):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.done = 0
        self.t0 = time.perf_counter()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = -1.0

    def update(self, done: int | None = None, note: str = "") -> None:
        self.done = self.done + 1 if done is None else int(done)
        frac = min(self.done / self.total, 1.0)
        el = time.perf_counter() - self.t0
        bar = "#" * int(frac * self.width) + "." * (self.width - int(frac * self.width))
        msg = (f"{self.label} [{bar}] {self.done}/{self.total} {el:6.1f} s"
               + (f"  {note}" if note else ""))
        if self.tty:
            self.stream.write("\r" + msg[:150].ljust(150))
            if self.done >= self.total:
                self.stream.write("\n")
        elif self.done >= self.total or el - self._last >= 2.0 or note:
            self.stream.write(msg + "\n")
            self._last = el
        self.stream.flush()


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
