"""A progress bar on stderr for long runs (comparisons, PNP sweeps and transients).

On a terminal the bar is redrawn in place at most 10 times a second; into a file or a
pipe it writes a line at most every 2 s (and on every note and at the end), so logs stay
short.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Progress of ``done`` out of ``total`` (counts, or simulated ms), shown on stderr.

    Parameters
    ----------
    total : float
        The value of ``done`` at the end (> 0; a smaller value is taken as 1).
    label : str
        Shown before the bar.
    stream : file, optional
        Default ``sys.stderr``.
    quiet : bool
        Show nothing.
    width : int
        Bar width [characters].
    """

    def __init__(self, total: float, label: str = "", stream=None, quiet: bool = False,
                 width: int = 30):
        self.total = float(total) if total > 0 else 1.0
        self.label, self.quiet, self.width = label, quiet, width
        self.stream = stream or sys.stderr
        self.done = 0.0
        self.t0 = time.perf_counter()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = -1.0

    def update(self, done: float | None = None, note: str = "", total: float | None = None):
        """Set ``done`` (default: one more), optionally a new ``total``, and redraw."""
        if total is not None:
            self.total = float(total) if total > 0 else 1.0
        self.done = self.done + 1 if done is None else float(done)
        if self.quiet:
            return
        finished = self.done >= self.total
        el = time.perf_counter() - self.t0
        frac = min(max(self.done / self.total, 0.0), 1.0)
        n = int(frac * self.width)
        msg = (f"{self.label} [{'#' * n}{'.' * (self.width - n)}] {100 * frac:5.1f}% "
               f"{el:6.1f} s" + (f"  {note}" if note else ""))
        if self.tty:
            if not finished and el - self._last < 0.1:
                return
            self.stream.write("\r" + msg[:150].ljust(150) + ("\n" if finished else ""))
        elif finished or note or el - self._last >= 2.0:
            self.stream.write(msg + "\n")
        else:
            return
        self._last = el
        self.stream.flush()

    def __call__(self, done: float, total: float | None = None, note: str = ""):
        """``progress(done, total)``: the callback form the solvers call."""
        self.update(done, note, total)
