"""``spinepnp pnp`` subcommand (called through run(Namespace)), the benchmark's quick
mode, and import hygiene of the solver package."""

import argparse
import csv
import subprocess
import sys

import numpy as np
import pytest

from spinepnp.cli import pnp as pnp_cli


def _parse(argv):
    parser = argparse.ArgumentParser(prog="spinepnp")
    sub = parser.add_subparsers(dest="command")
    pnp_cli.add_parser(sub)
    return parser.parse_args(argv)


def test_sweep_writes_csv_and_figure(tmp_path, capsys):
    args = _parse(["pnp", "sweep", "--species", "binary", "--nodes", "301",
                   "--currents", "-0.1", "0", "0.1", "0.3", "--out", str(tmp_path)])
    assert pnp_cli.run(args) == 0
    with open(tmp_path / "pnp_iv.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["current_nA"]) for r in rows] == [-0.1, 0.0, 0.1, 0.3]
    v = np.array([float(r["v_bulk_head_mV"]) for r in rows])
    law = np.array([float(r["law_mV"]) for r in rows])
    # 301 nodes: second-order mesh error ~1e-5 relative (see test_pnp_steady)
    np.testing.assert_allclose(v, law, rtol=1e-4, atol=1e-9)
    assert (tmp_path / "pnp_profiles.csv").stat().st_size > 0
    assert (tmp_path / "pnp_sweep.png").read_bytes()[:4] == b"\x89PNG"
    err = capsys.readouterr().err
    assert "100.0%" in err                          # progress bar on stderr


def test_transient_writes_csv_and_figure(tmp_path):
    args = _parse(["pnp", "transient", "--geometry", "spine", "--nodes", "201",
                   "--t-stop", "0.5", "--samples", "11", "--amplitude", "0.02",
                   "--hh-ring", "1.3", "--out", str(tmp_path), "--prefix", "run",
                   "--quiet"])
    assert pnp_cli.run(args) == 0
    with open(tmp_path / "run_transient.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 11
    assert float(rows[-1]["v_head_wall_mV"]) > 0
    assert "ring0_current_nA" in rows[0]
    assert (tmp_path / "run_transient.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no temps


def test_cli_errors_are_value_errors(tmp_path):
    args = _parse(["pnp", "sweep", "--currents", "-0.05", "--out", str(tmp_path),
                   "--no-plot", "--quiet"])
    with pytest.raises(ValueError, match="saturation"):
        pnp_cli.run(args)
    assert not (tmp_path / "pnp_iv.csv").exists()
    assert pnp_cli.run(_parse(["pnp"])) == 2         # no mode: help, exit code 2


def test_benchmark_quick_mode(capsys):
    from spinepnp.bench import pnp as bench_pnp
    assert bench_pnp.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "I-V sweep" in out and "solve_bvp" in out and "transient" in out


def test_import_does_not_pull_neuron_or_matplotlib():
    code = ("import sys, spinepnp.pnp, spinepnp.cli.pnp; "
            "bad = [m for m in ('neuron', 'matplotlib') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
