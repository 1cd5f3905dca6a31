"""The SpnpSpine benchmark script runs (``--quick``: 100 spines, 100 ms)."""

import pytest

def test_bench_spine_quick(mechanisms, capsys):
    from comparisons import bench_spine
    assert bench_spine.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for variant in bench_spine.VARIANTS:
        assert variant in out
    assert "ratios" in out and "target mode 1" in out
