"""Spine populations: placement, geometry draws, F-factor folding and its measured error."""

import math

import numpy as np
import pytest

from spinepnp.population import SPINE_DISTRIBUTIONS, spine_area
from spinepnp.spinesets import SPINE_SETS


def _cell(h, name="c", active=False):
    """Soma (pas, or hh) and two passive dendrites of 200 and 150 um."""
    soma = h.Section(name=f"{name}_soma")
    soma.L = soma.diam = 20.0
    soma.insert("hh" if active else "pas")
    dends = []
    for k, (length, diam) in enumerate(((200.0, 1.0), (150.0, 0.8))):
        d = h.Section(name=f"{name}_dend{k}")
        d.L, d.diam, d.nseg = length, diam, 21
        d.insert("pas")
        d.connect(soma(1))
        dends.append(d)
    for sec in [soma] + dends:
        sec.Ra, sec.cm = 150.0, 1.0
        if not active or sec is not soma:
            for seg in sec:
                seg.pas.g, seg.pas.e = 1e-4, -65.0
    return soma, dends


def test_positions_and_draws_do_not_depend_on_section_order(h):
    from spinepnp.build import add_spines
    soma, dends = _cell(h)
    a = add_spines(dends, 1.0, params="thin-dist", seed=4, fold=True)
    keep = (list(a.section), a.x.copy(), a.neck_diam.copy(), a.head_diam.copy())
    del a
    # the same cell rebuilt (same section names), its sections given in reverse order
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    soma, dends = _cell(h)
    b = add_spines(dends[::-1], 1.0, params="thin-dist", seed=4, fold=True)
    assert list(b.section) == keep[0]
    np.testing.assert_array_equal(b.x, keep[1])
    np.testing.assert_array_equal(b.neck_diam, keep[2])
    np.testing.assert_array_equal(b.head_diam, keep[3])
    # 1 per um on 200 + 150 um: each section's count is the rounded integral
    assert len(b) == 350
    assert np.all(np.diff(b.x[:200]) > 0)


def test_seed_changes_the_spines(h):
    from spinepnp.build import add_spines
    soma, dends = _cell(h)
    a = add_spines(dends, 0.5, params="thin-dist", seed=1)
    xa, na = a.x.copy(), a.neck_len.copy()
    del a
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    soma, dends = _cell(h)
    b = add_spines(dends, 0.5, params="thin-dist", seed=2)
    assert not np.allclose(xa, b.x)
    assert not np.allclose(na, b.neck_len)


def test_callable_density_follows_distance(h):
    from spinepnp.build import add_spines
    soma, dends = _cell(h)
    # 0 spines/um within 100 um of the soma centre, 2/um beyond it (both dendrites
    # start 10 um from the soma centre)
    pop = add_spines(dends, lambda sec, x: 2.0 if 10.0 + x * sec.L > 100 else 0.0)
    assert pop.distance.min() > 100.0 - 0.5     # 0.5 um: the density grid's step
    # dend0: 200 um, 110 um of it beyond 100 um from the soma centre (10 um soma half)
    # -> 220 spines; dend1: 60 um -> 120; +-1 per section for the 0.5 um grid
    assert abs(len(pop) - 340) <= 2
    sel = pop.select(distance=(150.0, 1e9))
    assert np.all(pop.distance[sel] >= 150.0)
    on1 = pop.select(sections=[dends[1]])
    assert set(pop.section[i] for i in on1) == {dends[1].name()}


def test_distribution_means_are_the_literature_means():
    # Harris, Jensen & Tsao 1992, thin spines: neck length 0.51 +- 0.34 um, neck
    # diameter 0.10 +- 0.03 um, head volume 0.03 um3 (the source means, hand-copied)
    dist = SPINE_DISTRIBUTIONS["thin-dist"]
    d = dist.draw(np.random.default_rng(0), 200_000)
    # 2 %: sampling error of 200,000 draws is < 0.3 %; the clip of the lognormal's
    # tails (neck length above 3 um: 0.1 % of draws) moves the mean by < 1 %
    assert np.mean(d["neck_len"]) == pytest.approx(0.51, rel=0.02)
    assert np.std(d["neck_len"]) == pytest.approx(0.34, rel=0.05)   # clipped tail
    assert np.mean(d["neck_diam"]) == pytest.approx(0.10, rel=0.02)
    vol = np.pi * d["head_diam"] ** 3 / 6
    assert np.mean(vol) == pytest.approx(0.03, rel=0.02)


def test_fold_scales_cm_and_every_conductance(h):
    from spinepnp.build import add_spines
    soma, dends = _cell(h, active=True)
    soma.insert("pas")
    soma(0.5).pas.g = 2e-5
    soma(0.5).pas.e = -70.0
    g0 = {k: getattr(soma(0.5).hh, k) for k in ("gnabar", "gkbar", "gl")}
    el0 = soma(0.5).hh.el
    pop = add_spines([soma], 0.1, params="thin")
    thin = SPINE_SETS["thin"]
    # hand formula: sphere head pi d^2 plus neck pi d_n L per spine
    area1 = math.pi * thin.head_diam ** 2 + math.pi * thin.neck_diam * thin.neck_len
    n = round(0.1 * 20.0)
    assert len(pop) == n
    factor = 1 + n * area1 / (math.pi * 20.0 * 20.0)
    seg = soma(0.5)
    assert seg.cm == pytest.approx(factor, rel=1e-12)        # cm was 1 uF/cm2
    assert seg.pas.g == pytest.approx(2e-5 * factor, rel=1e-12)
    for k, v in g0.items():
        assert getattr(seg.hh, k) == pytest.approx(v * factor, rel=1e-12)
    assert seg.hh.el == el0           # reversals are not conductances
    assert seg.pas.e == -70.0
    # a second folded population on the same section is refused (it would multiply)
    with pytest.raises(ValueError, match="already carries a folded"):
        add_spines([soma], 0.1)
    # driving one spine removes its area from the fold, adds its own capacitance
    pop.drive(10.0, n=1)
    sp = pop.spines[pop.point_indices[0]]
    assert seg.cm == pytest.approx(1 + (n - 1) * area1 / (math.pi * 400.0) + sp.cm_fold,
                                   rel=1e-12)
    assert sp.cm_fold == pytest.approx(area1 / (math.pi * 400.0), rel=1e-12)
    # its leak is the section's own pas (not the folded one) over its area
    assert sp.point.gleak == pytest.approx(2e-5 * area1 * 1e-8 * 1e6, rel=1e-9)
    assert spine_area(thin.neck_len, thin.neck_diam, thin.head_diam) == pytest.approx(area1)


def _epsps(h, fold, n_driven=4, tstop=60.0):
    from spinepnp.build import add_spines
    soma, dends = _cell(h, "f")
    h.celsius = 20.0
    pop = add_spines(dends, 1.0, law="pnp-dynamic", params="thin-dist", seed=7,
                     fold=fold)
    drive = pop.drive(40.0, n=n_driven, weight=0.002, seed=3)
    heads = pop.record("vhead", drive.indices)
    vsoma = h.Vector().record(soma(0.5)._ref_v)
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(tstop)
    out = dict(indices=drive.indices.copy(), heads=heads.array() + 65.0,
               soma=np.array(vsoma) + 65.0, n=len(pop), n_points=len(pop.targets))
    del drive, heads, vsoma, pop
    for nc in h.List("NetCon"):
        nc.active(False)
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    return out


def test_fold_error_is_below_one_percent(h):
    """Driven spines' head and soma EPSPs: folded population vs every spine a point
    process (the same driven spines, the same Poisson trains)."""
    ref = _epsps(h, fold=False)
    fold = _epsps(h, fold=True)
    assert ref["n_points"] == ref["n"] == 350 and fold["n_points"] == 4
    np.testing.assert_array_equal(ref["indices"], fold["indices"])
    assert ref["soma"].max() > 0.1          # the drive does depolarise the soma
    # 1 %: the bound on the fold error. Peaks of each driven head and of the
    # soma (the folded undriven spines lack only their neck resistance and head node)
    for k in range(4):
        peak_ref = ref["heads"][k].max()
        assert fold["heads"][k].max() == pytest.approx(peak_ref, rel=0.01)
    assert fold["soma"].max() == pytest.approx(ref["soma"].max(), rel=0.01)
    # and the whole soma trace, against its peak
    assert np.max(np.abs(fold["soma"] - ref["soma"])) < 0.01 * ref["soma"].max()


def test_record_targets_and_bad_input(h):
    from spinepnp.build import add_spines
    soma, dends = _cell(h)
    pop = add_spines(dends, 0.2, law="ohmic")
    assert pop.targets == []
    with pytest.raises(ValueError, match="folded"):
        pop.record("vhead", [0])
    pop.unfold([0, 5])
    assert len(pop.targets) == 2
    rec = pop.record("ineck")
    assert len(rec.vectors) == 2
    with pytest.raises(ValueError, match="no RANGE variable"):
        pop.record("nonsense")
    with pytest.raises(ValueError, match="rate"):
        pop.drive(-1.0, n=1)
    with pytest.raises(ValueError, match="choose between"):
        pop.drive(5.0, n=10_000)
    assert pop.parameter("rneck").size == 2
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    soma, dends = _cell(h)
    with pytest.raises(ValueError, match="unknown law"):
        add_spines(dends, 1.0, law="cable")
    with pytest.raises(ValueError, match="params"):
        add_spines(dends, 1.0, params="giant")
    with pytest.raises(ValueError, match="density"):
        add_spines(dends, -1.0)
    with pytest.raises(ValueError, match="empty"):
        add_spines([], 1.0)


def test_mpi_two_ranks_build_the_serial_cell(tmp_path, mechanisms):
    """The driven spiny pyramid on rank 0 and rank 1 of an MPI run equals the serial
    one, bit for bit: spines and input trains are keyed on section names, not ranks.
    The benchmark's drive (500 spines at 5 Hz, 3 nS, 6.3 degC) makes the soma fire, so
    the spike comparison is not empty."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from spinepnp import parallel
    ok, why = parallel.mpi_available()
    if not ok:
        pytest.skip(f"MPI not available: {why}")
    script = Path(__file__).resolve().parents[1] / "comparisons" / "bench_cell.py"
    common = ["--n-driven", "500", "--tstop", "100"]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(script.parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    ser = subprocess.run([sys.executable, str(script), "--worker", str(tmp_path / "s.json")]
                         + common, env=env, capture_output=True, text=True, timeout=300)
    assert ser.returncode == 0, ser.stderr[-2000:]
    par = parallel.run_mpi([str(script), "--worker", str(tmp_path / "p.json")] + common,
                           2, env=env, timeout=300)
    assert par.returncode == 0, par.stderr[-2000:]
    serial = json.loads((tmp_path / "s.json").read_text())
    ranks = json.loads((tmp_path / "p.json").read_text())
    assert [r["gid"] for r in serial] == [0] and sorted(r["gid"] for r in ranks) == [0, 1]
    assert len(serial[0]["spikes"]) > 0             # the soma fires: a real comparison
    for r in ranks:                                 # exact: same arithmetic, same order
        assert r["spikes"] == serial[0]["spikes"]
        assert r["vsoma_sum"] == serial[0]["vsoma_sum"]
        assert r["vsoma_max"] == serial[0]["vsoma_max"]


def test_bench_mpi_check_refuses_a_run_without_spikes(tmp_path, mechanisms):
    """The benchmark's MPI check fails when the serial run has no spike (one weak input
    for 20 ms cannot fire the soma): equal empty spike lists prove nothing."""
    import argparse

    from spinepnp import parallel
    from spinepnp.bench.cell import mpi_check
    ok, why = parallel.mpi_available()
    if not ok:
        pytest.skip(f"MPI not available: {why}")
    a = argparse.Namespace(n_driven=1, tstop=20.0, weight=0.003)
    passed, verdict = mpi_check(a, tmp_path, "fold-pnp")
    assert passed is False
    assert "serial run has no spike" in verdict and "(serial 0 spikes" in verdict


def test_fold_keeps_what_others_added(h):
    """A spine attached by hand after add_spines keeps its capacitance when the fold
    changes (driving a folded spine)."""
    from spinepnp.build import add_spines, attach_spine
    soma, dends = _cell(h)
    pop = add_spines([soma], 0.1, params="thin")
    cm_folded = soma(0.5).cm
    extra = attach_spine(soma(0.5), "ohmic")
    assert soma(0.5).cm == pytest.approx(cm_folded + extra.cm_fold, rel=1e-12)
    pop.drive(5.0, n=2)          # every spine leaves the fold: cm = 1 + point spines'
    added = sum(pop.spines[i].cm_fold for i in pop.point_indices) + extra.cm_fold
    assert soma(0.5).cm == pytest.approx(1.0 + added, rel=1e-12)
    assert soma(0.5).pas.g == pytest.approx(1e-4, rel=1e-12)


def test_explicit_law_dict_params_and_keywords(h):
    from spinepnp.build import add_spines
    soma, dends = _cell(h)
    with pytest.raises(ValueError, match="unknown spine keyword.*neck_lenght"):
        add_spines(dends, 0.1, neck_lenght=1.0)
    pop = add_spines([dends[0]], 0.05, law="explicit",
                     params=dict(neck_len=1.0, neck_diam=0.1, head_diam=0.5), fold=False)
    assert len(pop) == 10 and len(pop.targets) == 10
    sp = pop.spines[0]
    assert sp.explicit and sp.neck.L == 1.0 and sp.head.diam == 0.5
    assert sp.neck.name() == f"{dends[0].name()}_spine0_neck"
    assert pop.record("vhead").array().shape[0] == 10


def _pyramid_epsps(h, fold):
    from spinepnp.morphology import build_spiny_pyramid
    h.celsius = 20.0
    cell = build_spiny_pyramid("pnp-dynamic", 1.0, "thin-dist", 5, fold=fold)
    drive = cell.spines.drive(20.0, n=20, weight=0.002, seed=5)
    heads = cell.spines.record("vhead", drive.indices)
    vsoma = h.Vector().record(cell.soma(0.5)._ref_v)
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(100.0)
    out = (heads.array() + 65.0, np.array(vsoma) + 65.0, drive.indices.copy())
    del heads, drive, vsoma, cell
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    return out


@pytest.mark.slow
def test_fold_error_on_the_pyramid(h):
    """The same measurement on NEURON's demo cell (5349 spines, 20 driven, hh soma)."""
    heads_ref, soma_ref, idx_ref = _pyramid_epsps(h, fold=False)
    heads, soma, idx = _pyramid_epsps(h, fold=True)
    np.testing.assert_array_equal(idx, idx_ref)
    assert soma_ref.max() > 0.5               # a real soma EPSP
    # 1 %: the bound on the fold error
    np.testing.assert_allclose(heads.max(axis=1), heads_ref.max(axis=1), rtol=0.01)
    assert soma.max() == pytest.approx(soma_ref.max(), rel=0.01)
