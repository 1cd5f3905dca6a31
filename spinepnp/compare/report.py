"""One-page report (Markdown) of a set of comparisons, written atomically."""

from __future__ import annotations

import datetime
import platform
from pathlib import Path

from .. import __version__
from ..io import write_text_atomic

__all__ = ["write_report"]


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def write_report(out, results, quick: bool = False) -> Path:
    """Write ``out/report.md``: per comparison a title, figures, caption, numbers, CSVs."""
    out = Path(out)
    lines = [
        "# spinepnp: cable vs electro-diffusion comparison report",
        "",
        f"spinepnp {__version__}; generated "
        f"{datetime.datetime.now().isoformat(timespec='seconds')} on "
        f"{platform.node() or 'unknown host'} ({platform.machine()}, "
        f"Python {platform.python_version()})" + (", **quick mode**" if quick else "") + ".",
        "",
        "Units: mV, ms, um, mM, nA (pA where stated), MOhm. Full PNP = the numerical "
        "Poisson-Nernst-Planck solver (no electroneutrality assumed); law = the paper's "
        "electroneutral laws (corrected); Ohm R0 = a cable calibrated to the law's "
        "small-signal resistance; Ohm Ra = a cable with a typical cytoplasmic Ra.",
        "",
    ]
    for res in results:
        lines += [f"## {res.title}", ""]
        for fig in res.figures:
            lines += [f"![{res.name}]({fig.as_posix()})", ""]
        if res.caption:
            lines += [res.caption, ""]
        if res.numbers:
            lines += ["| quantity | value |", "|---|---|"]
            lines += [f"| {k} | {_fmt(v)} |" for k, v in res.numbers.items()]
            lines += [""]
        if res.csvs:
            lines += ["Data: " + ", ".join(f"[{c.as_posix()}]({c.as_posix()})"
                                           for c in res.csvs) +
                      f". ({res.seconds:.1f} s)", ""]
    return write_text_atomic(out / "report.md", "\n".join(lines) + "\n")
