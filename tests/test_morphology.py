"""Morphologies: NEURON's demo pyramid, SWC through Import3d, d_lambda on 3-D diameters."""

import math
from pathlib import Path

import pytest

SWC = """# soma: a 10 um cylinder of diameter 10; dend[0]: 150 um with 3-D diameters 2 then
# 0.5 um (with a bend); dend[1]: 80 um of diameter 2
1 1 0 0 0 5 -1
2 1 10 0 0 5 1
3 3 10 0 0 1 2
4 3 60 0 0 1 3
5 3 110 0 0 0.25 4
6 3 110 50 0 0.25 5
7 3 10 0 0 1 2
8 3 10 80 0 1 7
"""


def test_pyramid_from_the_installed_neuron(h):
    from spinepnp.morphology import load_pyramid, pyramid_path
    assert pyramid_path().name == "pyramid.nrn"
    cell = load_pyramid(ra=150.0)
    # the file's own header: 79 segments (sections), 43 branches totalling 5349.55 um
    assert len(cell.sections) == 79
    assert cell.total_length == pytest.approx(5349.55, abs=0.01)
    assert cell.soma.name() == "soma"
    assert all(s.Ra == 150.0 for s in cell.sections)


def test_missing_pyramid_is_a_clear_error(monkeypatch):
    from spinepnp import morphology
    monkeypatch.setattr(Path, "is_file", lambda self: False)
    with pytest.raises(FileNotFoundError, match="pyramid.nrn is not in this neuron"):
        morphology.pyramid_path()


def test_swc_through_import3d(h, tmp_path):
    from spinepnp.morphology import load_swc
    path = tmp_path / "cell.swc"
    path.write_text(SWC)
    cell = load_swc(path, name="t")
    lengths = sorted(round(s.L, 6) for s in cell.dendrites)
    assert lengths == [80.0, 150.0]          # 50 + 50 + 50 and 80 um, by hand
    assert cell.soma.L == pytest.approx(10.0)
    assert all(s.parentseg().sec == cell.soma for s in cell.dendrites)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_swc(tmp_path / "absent.swc")


def test_d_lambda_uses_the_3d_diameters(h):
    from spinepnp.morphology import effective_diameter, set_nseg_d_lambda
    sec = h.Section(name="taper")
    # 1000 um at 4 um diameter, then 1000 um at 0.25 um (3-D points)
    for x, d in ((0, 4.0), (1000, 4.0), (1000, 0.25), (2000, 0.25)):
        h.pt3dadd(x, 0, 0, d, sec=sec)
    sec.Ra, sec.cm = 100.0, 1.0
    s = 1000 / math.sqrt(4.0) + 1000 / math.sqrt(0.25)     # sum dx / sqrt(d)
    assert effective_diameter(sec) == pytest.approx((2000 / s) ** 2, rel=1e-12)
    set_nseg_d_lambda([sec], d_lambda=0.1, freq=100.0)
    # by hand: lambda_100Hz(d) = 1e5 sqrt(d / (4 pi f Ra cm)) um, and the section's
    # length in those units is sum dx / lambda(d) = 1000/lambda(4) + 1000/lambda(0.25)
    lam = lambda d: 1e5 * math.sqrt(d / (4 * math.pi * 100 * 100 * 1.0))  # noqa: E731
    e_len = 1000 / lam(4.0) + 1000 / lam(0.25)
    assert sec.nseg == int((e_len / 0.1 + 0.9) / 2) * 2 + 1
    # the mean diameter (NEURON's sec.diam is the area-mean, 2.125 um) needs far fewer
    by_mean = int((2000 / lam(sec.diam) / 0.1 + 0.9) / 2) * 2 + 1
    assert sec.nseg > 1.3 * by_mean
    with pytest.raises(ValueError, match="positive"):
        set_nseg_d_lambda([sec], d_lambda=0)
