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


def test_bench_spine_floors(mechanisms, capsys):
    """The floors (SpnpSpine's and SpnpSpineIons' NEURON interface, no physics) compile
    from the mechanisms' own NEURON and STATE blocks, run and are printed against
    mode 2."""
    from spinepnp.bench import spine as bench_spine
    text = bench_spine.floor_mod("SpnpSpineIons", "SpnpIonsFloor")
    assert "POINT_PROCESS SpnpIonsFloor" in text and "na_m1' = 0" in text
    assert "USEION cl READ cli WRITE icl VALENCE -1" in text
    text = bench_spine.floor_mod("SpnpSpine", "SpnpSpineFloor")
    assert "NONSPECIFIC_CURRENT i" in text and "cmode1' = 0" in text
    assert bench_spine.main(["--quick", "--variants", "spine2", "spine-floor",
                             "ions-floor"]) == 0
    out = capsys.readouterr().out
    for variant in ("spine-floor", "ions-floor"):
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(variant + " ")
                    and "spine2 (" in ln)
        assert "x spine2 (" in line
