"""Layout of every figure ``spinepnp compare all --quick`` makes.

Each figure is checked at the moment it is saved (``Figure.savefig`` is wrapped): every
visible text artist lies inside the canvas, no two axes overlap unless one is an inset
placed over empty space (no data of the axes beneath it inside the inset), and every
axis that shows tick labels has a label with a unit in brackets. The checker itself is
tested on figures built to break each rule.
"""

from __future__ import annotations

import itertools
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.figure  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import Collection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

#: text may stick out of the canvas by at most this much [pixels]: antialiasing of the
#: glyph edges, far below one character (a cut-off title loses whole letters)
EDGE_PX = 1.0
#: an axis label states its unit as "[unit]" (a dimensionless ratio "[1]" or "[%]"), or
#: says that it counts something
UNIT = re.compile(r"\[[^\]]+\]|\bcount\b|\bnumber of\b")
NUMBER = re.compile(r"^[-+\u2212]?[0-9.]+(e[-+\u2212]?[0-9]+)?$|\$.*\$")


def _outside(bb, canvas) -> bool:
    return (bb.x0 < canvas.x0 - EDGE_PX or bb.y0 < canvas.y0 - EDGE_PX
            or bb.x1 > canvas.x1 + EDGE_PX or bb.y1 > canvas.y1 + EDGE_PX)


def _texts_outside(fig, renderer) -> list:
    """Names of the drawn texts (titles, labels, tick labels, legends) off the canvas."""
    canvas, out = fig.bbox, []
    for ax in fig.get_axes():      # child (inset) axes are inside their parent's tight box
        if not ax.get_visible():
            continue
        # an axes' tight bbox spans everything it draws: tick labels within the view
        # limits, axis labels, title, legend, annotations
        if _outside(ax.get_tightbbox(renderer), canvas):
            parts = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label,
                     ax.yaxis.label] + list(ax.texts)
            bad = [t.get_text()[:40] for t in parts
                   if t.get_visible() and t.get_text()
                   and _outside(t.get_window_extent(renderer), canvas)]
            out.append(f"axes {ax.get_title()[:40]!r}: " + (
                f"text {bad} sticks out of the canvas" if bad
                else "tick labels or legend stick out of the canvas"))
    for art in list(fig.texts) + list(fig.legends) + [fig._suptitle]:
        if art is not None and art.get_visible() and _outside(
                art.get_window_extent(renderer), canvas):
            out.append(f"figure text/legend {getattr(art, 'get_text', lambda: '')()[:40]!r} "
                       "sticks out of the canvas")
    return out


def _data_points(ax):
    """Display coordinates of the data drawn in ``ax`` (lines and scatter offsets)."""
    pts = []
    for art in ax.get_children():
        if not art.get_visible():
            continue
        if isinstance(art, Line2D):
            xy = art.get_transform().transform(np.column_stack(art.get_data()).astype(float))
            if len(xy) > 1 and art.get_linestyle() not in ("None", " ", ""):
                # points along each segment, so that a line crossing an inset counts
                f = np.linspace(0.0, 1.0, 25)[:, None, None]
                xy = (xy[:-1] + f * (xy[1:] - xy[:-1])).reshape(-1, 2)
            pts.append(xy[np.isfinite(xy).all(axis=1)])
        elif isinstance(art, Collection) and len(art.get_offsets()):
            pts.append(art.get_offset_transform().transform(np.asarray(art.get_offsets(),
                                                                       float)))
    return np.vstack(pts) if pts else np.empty((0, 2))


def layout_problems(fig) -> list:
    """Every layout fault of ``fig`` as a sentence (empty list: none)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = _texts_outside(fig, renderer)
    axes = [a for top in fig.get_axes() for a in [top] + list(top.child_axes)
            if a.get_visible()]
    for a, b in itertools.combinations(axes, 2):
        ba, bb = a.get_window_extent(renderer), b.get_window_extent(renderer)
        if not ba.overlaps(bb):
            continue
        if np.allclose(ba.bounds, bb.bounds, atol=1.0):
            continue                       # twin axes (twinx/twiny) share one box
        inner, outer = (a, b) if ba.width * ba.height < bb.width * bb.height else (b, a)
        box_in, box_out = inner.get_window_extent(renderer), outer.get_window_extent(renderer)
        contained = (box_in.x0 >= box_out.x0 - 1 and box_in.x1 <= box_out.x1 + 1
                     and box_in.y0 >= box_out.y0 - 1 and box_in.y1 <= box_out.y1 + 1)
        if not contained:
            problems.append(f"axes {a.get_title()[:30]!r} and {b.get_title()[:30]!r} overlap")
            continue
        pts = _data_points(outer)
        covered = ((pts[:, 0] > box_in.x0) & (pts[:, 0] < box_in.x1)
                   & (pts[:, 1] > box_in.y0) & (pts[:, 1] < box_in.y1))
        if covered.any():
            problems.append(f"inset {inner.get_title()[:30]!r} covers {covered.sum()} data "
                            f"points of {outer.get_title()[:30]!r}")
    for ax in axes:
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            # an axis with numbers on it needs a unit (a categorical one does not)
            shows_ticks = axis.get_visible() and any(
                lab.get_visible() and NUMBER.match(lab.get_text().strip())
                for lab in axis.get_ticklabels())
            if shows_ticks and not UNIT.search(axis.get_label_text()):
                problems.append(f"{name} axis of {ax.get_title()[:30]!r} has no unit "
                                f"({axis.get_label_text()!r})")
    return problems


# --- the checker catches each fault --------------------------------------------------

def test_checker_accepts_a_clean_figure():
    fig, ax = plt.subplots(1, 2, layout="constrained")
    for a in ax:
        a.plot([0, 1], [0, 1])
        a.set_xlabel("time [ms]")
        a.set_ylabel("v [mV]")
        a.set_title("a title that fits")
    inset = ax[0].inset_axes([0.6, 0.05, 0.35, 0.3])     # lower right: no data there
    inset.plot([0, 1], [1, 0])
    inset.set_xlabel("t [ms]")
    inset.set_ylabel("i [nA]")
    assert layout_problems(fig) == []
    plt.close(fig)


def test_checker_finds_each_fault():
    fig, ax = plt.subplots(1, 2, figsize=(4, 3))
    ax[0].plot([0, 1], [0, 1])
    ax[0].set_title("a title much too long for its panel, which runs off the canvas edge")
    ax[0].set_xlabel("time")                               # no unit
    ax[0].set_ylabel("v [mV]")
    inset = ax[0].inset_axes([0.3, 0.3, 0.4, 0.4])         # over the diagonal line
    inset.set_xticks([])
    inset.set_yticks([])
    ax[1].set_position([0.3, 0.2, 0.5, 0.6])              # overlaps ax[0] partly
    ax[1].set_xlabel("x [um]")
    ax[1].set_ylabel("y [um]")
    found = " | ".join(layout_problems(fig))
    plt.close(fig)
    assert "sticks out of the canvas" in found
    assert "covers" in found
    assert "overlap" in found
    assert "has no unit" in found


# --- every figure of compare all --quick ---------------------------------------------

@pytest.fixture(scope="module")
def quick_figures(tmp_path_factory):
    """Run ``compare all --quick`` once, checking every figure as it is saved."""
    from spinepnp.cli import main
    checked = {}
    original = matplotlib.figure.Figure.savefig

    def checking_savefig(self, fname, *args, **kwargs):
        checked[str(getattr(fname, "name", fname))] = layout_problems(self)
        return original(self, fname, *args, **kwargs)

    out = tmp_path_factory.mktemp("figures")
    mp = pytest.MonkeyPatch()
    mp.setattr(matplotlib.figure.Figure, "savefig", checking_savefig)
    try:
        assert main(["compare", "all", "--quick", "--out", str(out)]) == 0
    finally:
        mp.undo()
    return out, checked


def test_every_quick_figure_is_laid_out_cleanly(quick_figures):
    out, checked = quick_figures
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(checked) == len(pngs) >= 8, (sorted(checked), pngs)
    faults = {name: p for name, p in checked.items() if p}
    assert not faults, "\n".join(f"{n}: {p}" for n, p in faults.items())
