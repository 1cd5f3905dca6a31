"""Comparison ``cell`` (quick) and models/spiny_pyramid.py (quick) on the demo pyramid."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from spinepnp.geometry import Cylinder
from spinepnp.laws import ohmic_resistance
from table_helpers import read_columns

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cell_out(tmp_path_factory, mechanisms):
    from spinepnp.cli import main
    out = tmp_path_factory.mktemp("cell")
    assert main(["compare", "cell", "--out", str(out), "--quick"]) == 0
    return out


def test_cell_comparison_outputs(cell_out):
    assert (cell_out / "cell.png").stat().st_size > 20_000     # a real figure
    assert "cell.png" in (cell_out / "report.md").read_text()
    d = read_columns(cell_out / "cell_spines.csv")
    assert len(d["spine"]) == 12                                   # quick: 12 driven
    # every spine's R0 is the closed-form law for its own drawn cylinder at 20 degC
    # (the comparison's temperature; 167 mM, D = 1.33 um2/ms: attach_spine's defaults)
    for L, dn, r0 in zip(d["neck_len_um"], d["neck_diam_um"], d["r0_MOhm"]):
        # 1e-9: the CSV keeps 10 significant digits
        assert r0 == pytest.approx(ohmic_resistance(Cylinder(L, dn / 2), 167.0, 1.33,
                                                    20.0), rel=1e-8)
    # the draws are spread (a distribution, not one spine set)
    assert np.std(d["neck_diam_um"]) > 0.01


def test_cell_comparison_physics(cell_out):
    d = read_columns(cell_out / "cell_spines.csv")
    head_r0, head_ra = d["head_epsp_ohmic_mV"], d["head_epsp_ohmic-ra_mV"]
    # Ra = 150 Ohm cm is 2.5x the law's resistivity (59 Ohm cm): a larger series
    # resistance between synapse and dendrite gives a larger head EPSP, a smaller
    # dendrite EPSP, at every spine
    assert np.all(head_ra > head_r0)
    assert np.all(d["dend_epsp_ohmic-ra_mV"] < d["dend_epsp_ohmic_mV"])
    # the neck law changes the soma EPSP less than the head EPSP (the dendrite filters)
    for law in ("ohmic", "ohmic-ra"):
        assert np.median(np.abs(d[f"soma_dev_{law}_pct"])) < \
            np.median(np.abs(d[f"head_dev_{law}_pct"]))
    # every EPSP is a depolarisation of the right size for 1 nS (0.05 to 50 mV)
    for site in ("head", "dend", "soma"):
        v = d[f"{site}_epsp_pnp-dynamic_mV"]
        assert np.all((v > 0.005) & (v < 50.0))


def test_spiny_pyramid_model_quick(tmp_path, mechanisms):
    spec = importlib.util.spec_from_file_location("spiny_pyramid",
                                                  ROOT / "models" / "spiny_pyramid.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.main(["--quick", "--out", str(tmp_path), "--laws", "pnp-dynamic,ohmic"])
    rows = read_columns(tmp_path / "summary.csv")
    assert list(rows["law"]) == ["pnp-dynamic", "ohmic"]
    # 1 spine per um on 5349.55 um of dendrite (pyramid.nrn's header)
    assert np.all(np.abs(rows["n_spines"] - 5350) <= 40)     # one rounding per section
    assert np.all(rows["n_driven"] == 100)
    # the soma fires under every law (the model is meant to spike; measured: 1 spike
    # each in the quick run)
    assert np.all(rows["n_spikes"] > 0)
    tr = read_columns(tmp_path / "traces.csv")
    # the drive depolarises the soma from rest (-65 mV) by more than a millivolt
    assert np.max(tr["vsoma_mV_ohmic"]) > -64.0
    assert (tmp_path / "spiny_pyramid.png").is_file()
    assert res["paths"]["png"].name == "spiny_pyramid.png"
    with pytest.raises(SystemExit):
        mod.main(["--quick", "--out", str(tmp_path), "--laws", "explicit"])


@pytest.mark.slow
def test_bench_cell_quick_runs(tmp_path):
    """comparisons/bench_cell.py --quick (a smoke run: it prints every measurement)."""
    import os
    import subprocess
    import sys
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, str(ROOT / "comparisons" / "bench_cell.py"),
                           "--quick", "--variants", "exp2syn", "fold-pnp"], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "fold-pnp" in out and "x (" in out            # a ratio was printed
    # 5,000 folded spines in <= 1 s (measured ~0.03 s on the 2-core CI machine)
    assert "target <= 1 s: met" in out
    assert "memory per spine" in out
