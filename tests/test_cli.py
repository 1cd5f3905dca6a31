"""The spinepnp command line."""

import csv
import io
import shutil
import subprocess
import sys

import pytest

from spinepnp import laws
from spinepnp.cli import main


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as ex:
        main(["--help"])
    assert ex.value.code == 0
    out = capsys.readouterr().out
    for sub in ("build", "law"):
        assert sub in out


def test_law_prints_values(capsys):
    rc = main(["law", "--neck", "cylinder", "--length", "1", "--radius", "0.05",
               "--current", "0.1"])
    out = capsys.readouterr().out
    assert rc == 0
    neck = laws.Cylinder(1, 0.05)
    assert f"{laws.delta_v(0.1, neck):+.6g} mV" in out
    assert f"{laws.ohmic_resistance(neck):.6g} MOhm" in out
    assert f"{laws.saturation_current(neck):.6g} nA" in out


def test_law_csv(capsys, tmp_path):
    rc = main(["law", "--neck", "hyperboloid", "--a", "0.025", "--b", "0.025",
               "--c", "0.1", "--half-length", "0.5", "--current", "0.01", "0.05", "--csv"])
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 2
    neck = laws.Hyperboloid(0.025, 0.025, 0.1, 0.5)
    for row in rows:
        i = float(row["current_nA"])
        # CSV carries 10 significant digits
        assert float(row["dv_mV"]) == pytest.approx(laws.delta_v(i, neck), rel=1e-9)
        assert float(row["R_MOhm"]) == pytest.approx(laws.resistance(i, neck), rel=1e-9)
    out = tmp_path / "law.csv"
    assert main(["law", "--current", "0.1", "--csv", str(out)]) == 0
    assert out.read_text().startswith("current_nA,")


def test_law_errors_go_to_stderr(capsys):
    rc = main(["law", "--current", "-1"])
    err = capsys.readouterr()
    assert rc != 0 and err.out == ""
    assert "saturation" in err.err and "Use currents >" in err.err
    rc = main(["law", "--radius", "0"])
    assert rc != 0 and "radius" in capsys.readouterr().err


def test_console_script_entry_point():
    exe = shutil.which("spinepnp")
    cmd = [exe] if exe else [sys.executable, "-m", "spinepnp"]
    out = subprocess.run(cmd + ["law", "--current", "0.1"], capture_output=True, text=True)
    assert out.returncode == 0 and "dV = +6.57" in out.stdout
    bad = subprocess.run(cmd + ["law", "--current", "nan"], capture_output=True, text=True)
    assert bad.returncode != 0 and "NaN" in bad.stderr


def test_build_command(capsys, mechanisms):
    assert main(["build"]) == 0
    assert "SpnpKinSyn" in capsys.readouterr().out
