"""The ready models in models/: run in --quick mode, check their files against the laws."""

import csv
import math
import shutil
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.constants as sc

from spinepnp import laws
from spinepnp.spinesets import SPINE_SETS

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
NAMES = ["spine_on_dendrite", "spiny_neuron", "spiny_network"]

pytestmark = pytest.mark.skipif(not MODELS.is_dir(), reason="no source checkout")


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_model_{name}", MODELS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _read(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _cleanup(h):
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)


@pytest.mark.parametrize("name", NAMES)
def test_model_import_does_no_work_and_help_runs(name):
    code = (f"import importlib.util, sys; s = importlib.util.spec_from_file_location('m', "
            f"{str(MODELS / (name + '.py'))!r}); m = importlib.util.module_from_spec(s); "
            "s.loader.exec_module(m); assert callable(m.main); "
            "sys.exit(1 if 'neuron' in sys.modules else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 0, "importing the model imported NEURON\n" + r.stderr
    r = subprocess.run([sys.executable, str(MODELS / f"{name}.py"), "--help"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "--quick" in r.stdout and "(default:" in r.stdout, r.stderr


def test_spine_on_dendrite_quick_matches_laws(h, tmp_path):
    if not hasattr(h, "SpnpSpine"):
        pytest.skip("SpnpSpine mechanism not available")
    res = _load("spine_on_dendrite").main(["--quick", "--out", str(tmp_path)])
    _cleanup(h)
    for key in ("traces", "summary", "png"):
        assert Path(res["paths"][key]).stat().st_size > 0
    header, rows = _read(tmp_path / "traces.csv")
    data = np.array(rows, dtype=float)
    col = {name: data[:, i] for i, name in enumerate(header)}
    neck = SPINE_SETS["thin"].neck
    # steady law in the quasi-static head: at every sample the drop IS the law of the
    # recorded current. CSV keeps 10 significant digits (~1e-8 mV at 60 mV), the head
    # balance is solved to 1e-10 mV: 1e-6 mV tolerance
    ineck = col["ineck_nA_pnp"]
    assert ineck.max() > 0.05                                   # a real ~100 pA EPSC
    np.testing.assert_allclose(col["vhead_mV_pnp"] - col["vdend_mV_pnp"],
                               laws.delta_v(ineck, neck, celsius=20.0), atol=1e-6)
    r0 = laws.ohmic_resistance(neck, celsius=20.0)
    # calibrated Ohmic spine: drop = R0 I (the mechanism's R0 uses NEURON's unit
    # constants, 1e-6 relative from CODATA: 1e-5 mV at 10 mV)
    np.testing.assert_allclose(col["vhead_mV_ohmic"] - col["vdend_mV_ohmic"],
                               r0 * col["ineck_nA_ohmic"], atol=1e-5)
    _, summary = _read(tmp_path / "summary.csv")
    by_law = {r[0]: r for r in summary}
    assert set(by_law) == {"pnp", "pnp-dynamic", "ohmic", "ohmic-ra", "explicit",
                           "explicit-ra"}
    # independent references: R0 = VT L / (2 C D F pi r^2) (paper eq 7) from scipy's
    # constants, and the cable's 4 Ra L / (pi d^2) with the default Ra = 150 Ohm cm
    # (Ohm cm x um / um2 = 1e-2 MOhm); CSV keeps 10 digits: 1e-9
    vt = sc.k * (20.0 + sc.zero_Celsius) / sc.e
    faraday = sc.physical_constants["Faraday constant"][0]
    r0_closed = vt * neck.length * 1e-6 / (2 * 167.0 * 1.33e-9 * faraday
                                           * math.pi * (neck.radius0 * 1e-6) ** 2) / 1e6
    assert float(by_law["explicit"][1]) == pytest.approx(r0_closed, rel=1e-9)
    r_cable = 4 * 150.0 * neck.length / (math.pi * (2 * neck.radius0) ** 2) * 1e-2
    assert float(by_law["ohmic-ra"][1]) == pytest.approx(r_cable, rel=1e-9)
    assert float(by_law["explicit-ra"][1]) == pytest.approx(r_cable, rel=1e-9)
    # the PNP neck is sublinear for current into the head: smaller drop than Ohm's
    assert float(by_law["pnp"][6]) < float(by_law["ohmic"][6])


def test_spiny_neuron_quick_spikes(h, tmp_path):
    if not hasattr(h, "SpnpSpine"):
        pytest.skip("SpnpSpine mechanism not available")
    res = _load("spiny_neuron").main(["--quick", "--out", str(tmp_path)])
    _cleanup(h)
    for key in ("traces", "spikes", "summary", "png"):
        assert Path(res["paths"][key]).stat().st_size > 0
    _, spikes = _read(tmp_path / "spikes.csv")
    laws_seen = {r[0] for r in spikes}
    assert laws_seen == {"pnp", "ohmic", "explicit-ra"}      # every law fired
    header, rows = _read(tmp_path / "traces.csv")
    assert header[0] == "t_ms" and len(rows) > 100
    assert max(float(r[1]) for r in rows) > 0.0              # an action potential at soma


def test_spiny_network_quick_reproducible(h, tmp_path):
    if not hasattr(h, "SpnpSpine"):
        pytest.skip("SpnpSpine mechanism not available")
    mod = _load("spiny_network")
    a = mod.main(["--quick", "--out", str(tmp_path / "a"), "--no-plot"])
    b = mod.main(["--quick", "--out", str(tmp_path / "b")])
    _cleanup(h)
    for law in ("pnp", "ohmic"):
        assert len(a["spikes"][law]) > 0
        # seeded per gid (Random123 drive, per-post connectivity): identical reruns
        np.testing.assert_array_equal(a["spikes"][law], b["spikes"][law])
    for key in ("spikes", "connections", "summary", "png"):
        assert Path(b["paths"][key]).stat().st_size > 0
    _, conns = _read(tmp_path / "b" / "connections.csv")
    assert len(conns) == 12 * 4           # --quick: 12 cells, in-degree 4
    _, spikes = _read(tmp_path / "b" / "spikes.csv")
    gids = {int(r[1]) for r in spikes}
    assert gids <= set(range(12))


@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="no mpiexec (install MPI, "
                    "e.g. apt-get install mpich, to test the 2-rank run)")
def test_spiny_network_same_spikes_under_mpi(tmp_path):
    """`mpiexec -n 2 python models/spiny_network.py` writes the serial run's spikes."""
    script = str(MODELS / "spiny_network.py")
    serial = subprocess.run([sys.executable, script, "--quick", "--no-plot", "--out",
                             str(tmp_path / "serial")], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert serial.returncode == 0, serial.stderr
    mpi = subprocess.run(["mpiexec", "-n", "2", sys.executable, script, "--quick",
                          "--no-plot", "--out", str(tmp_path / "mpi")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    if mpi.returncode != 0 and "nrnmpi" in (mpi.stdout + mpi.stderr).lower() \
            and "load" in (mpi.stdout + mpi.stderr).lower():
        pytest.skip("NEURON could not load an MPI library: " + mpi.stderr[-300:])
    assert mpi.returncode == 0, mpi.stdout[-2000:] + mpi.stderr[-2000:]
    assert "numprocs=2" in mpi.stdout + mpi.stderr      # really ran on two ranks
    # same gids, same times, bit for bit: CSV text identical
    assert (tmp_path / "mpi" / "spikes.csv").read_text() == \
        (tmp_path / "serial" / "spikes.csv").read_text()
