"""The SpnpSpine benchmark script runs (``--quick``: 100 spines, 100 ms)."""

import pytest

def test_bench_spine_quick(mechanisms, capsys):
    from spinepnp.bench import spine as bench_spine
    assert bench_spine.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for variant in bench_spine.DEFAULT_VARIANTS:
        assert variant in out
    assert "ratios" in out and "target spine1 <= 1.00x exp2syn" in out
    assert "target spine1 <= 0.55x explicit" in out and "target spine2 <= 0.90x explicit" in out
    assert "target ions <= 2.00x spine2" in out         # issue 16: the multi-species spine
    ions_line = next(line for line in out.splitlines() if line.strip().startswith("ions ")
                     and "spine2 (" in line)
    assert "x spine2 (" in ions_line


def test_bench_spine_quick_with_nmda(mechanisms, capsys):
    """--nmda gives the spines NMDA input; the AMPA targets are then not claimed."""
    from spinepnp.bench import spine as bench_spine
    assert bench_spine.main(["--quick", "--nmda", "0.0005",
                             "--variants", "exp2syn", "spine1"]) == 0
    out = capsys.readouterr().out
    assert "NMDA weight 0.0005 uS" in out
    assert "not checked" in out and "target spine1" not in out


def test_bench_spine_rejects_a_negative_nmda_weight(capsys):
    from spinepnp.bench import spine as bench_spine
    with pytest.raises(SystemExit):
        bench_spine.main(["--quick", "--nmda", "-1"])
    assert "--nmda" in capsys.readouterr().err


def test_bench_spine_ions_floor(mechanisms, capsys):
    """The floor variant (SpnpSpineIons' NEURON interface, no physics) compiles from the
    mechanism's own NEURON and STATE blocks, runs and is printed against mode 2."""
    from spinepnp.bench import spine as bench_spine
    text = bench_spine.ions_floor_mod()
    assert "POINT_PROCESS SpnpIonsFloor" in text and "na_m1' = 0" in text
    assert bench_spine.main(["--quick", "--variants", "spine2", "ions-floor"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("ions-floor ")
                and "spine2 (" in ln)
    assert "x spine2 (" in line
