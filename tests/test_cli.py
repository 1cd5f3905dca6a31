"""The spinepnp command line."""

import csv
import io
import math
import re
import shutil
import subprocess
import sys

import pytest
import scipy.constants as sc

from spinepnp import laws
from spinepnp.cli import main


def test_help_lists_subcommands(capsys):
    from spinepnp.cli import COMMANDS
    with pytest.raises(SystemExit) as ex:
        main(["--help"])
    assert ex.value.code == 0
    out = capsys.readouterr().out
    assert set(COMMANDS) == {"build", "law", "pnp", "pnp2d", "compare", "bench"}
    for sub in COMMANDS:
        assert sub in out


def test_a_missing_subcommand_module_is_an_error():
    """A registered subcommand whose module is absent fails loudly, naming both."""
    from spinepnp.cli import COMMANDS, build_parser
    with pytest.raises(ImportError, match=r"'ghost' needs module spinepnp\.cli\.ghost"):
        build_parser(dict(COMMANDS, ghost="spinepnp.cli.ghost"))


def test_no_subcommand_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def _paper_neck_by_hand(current_nA):
    """The 1 um x 50 nm cylinder, 167 mM, D = 1.33 um2/ms, 20 degC, from the closed
    forms with CODATA constants (independent of spinepnp.laws):
    Gamma = L / (pi r^2), I_s = 2 C D F / Gamma, R0 = V_T / I_s,
    dV = V_T ln(1 + I / I_s)."""
    vt = sc.k * (273.15 + 20.0) / sc.e                  # V
    gamma = 1e-6 / (math.pi * 0.05e-6 ** 2)            # m^-1
    i_s = 2 * 167.0 * 1.33e-9 * sc.physical_constants["Faraday constant"][0] / gamma
    return (vt / i_s / 1e6, i_s * 1e9,                   # MOhm, nA
            1e3 * vt * math.log1p(current_nA * 1e-9 / i_s))   # mV


def test_law_prints_values(capsys):
    rc = main(["law", "--neck", "cylinder", "--length", "1", "--radius", "0.05",
               "--current", "0.1"])
    out = capsys.readouterr().out
    assert rc == 0
    r0, i_s, dv = _paper_neck_by_hand(0.1)
    # docs/getting_started.rst quotes these to 4 digits: relative rounding <= 1.4e-4
    assert (r0, i_s, dv) == pytest.approx((75.04, 0.3366, 6.571), rel=2e-4)
    printed = {key: float(re.search(rf"{key}\s*=\s*([-+0-9.e]+)", out).group(1))
               for key in ("R0 \\(Ohmic limit\\)", "I_s \\(saturation\\)", "dV")}
    # printed with 6 significant digits: relative rounding <= 5e-6
    assert list(printed.values()) == pytest.approx([r0, i_s, dv], rel=6e-6)


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


def test_law_csv_refuses_a_folder_and_an_existing_file(capsys, tmp_path):
    rc = main(["law", "--current", "0.1", "--csv", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "is a folder" in err and str(tmp_path) in err
    assert list(tmp_path.iterdir()) == []                   # nothing, no temporary file
    out = tmp_path / "law.csv"
    out.write_text("keep me\n")
    rc = main(["law", "--current", "0.1", "--csv", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "exists" in err and "--force" in err
    assert out.read_text() == "keep me\n"
    assert main(["law", "--current", "0.1", "--csv", str(out), "--force"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    # 10 significant digits in the CSV; the hand value's own rounding is below 1e-12
    assert float(rows[0]["dv_mV"]) == pytest.approx(_paper_neck_by_hand(0.1)[2], rel=1e-9)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["law.csv"]
