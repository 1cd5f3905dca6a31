"""The code in the documentation's pages runs as written (the gallery scripts run in the
docs build itself). Each block runs in a fresh process, from an empty folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: pages whose ``.. code-block:: python`` blocks are complete, quick scripts (the MPI
#: page's blocks start mpiexec runs and long simulations: they are run by the MPI tests)
PAGES = ["getting_started.rst", "guide/spine.rst", "guide/cells.rst", "guide/pnp2d.rst",
         "guide/ions.rst"]


def _blocks(page: str, language: str) -> list:
    text = (DOCS / page).read_text()
    found = re.findall(rf"\.\. code-block:: {language}\n\n((?:   .*\n|\n)+)", text)
    return ["\n".join(line[3:] for line in b.rstrip().splitlines()) for b in found]


CASES = [(page, k) for page in PAGES if (DOCS / page).exists()
         for k in range(len(_blocks(page, "python")))]


def _run(code: str, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)


@pytest.mark.skipif(not DOCS.exists(), reason="no source checkout")
@pytest.mark.parametrize("page,k", CASES)
def test_docs_python_blocks_run(page, k, tmp_path):
    out = _run(_blocks(page, "python")[k], tmp_path)
    assert out.returncode == 0, f"{page} block {k}:\n{out.stderr[-3000:]}"


@pytest.mark.skipif(not DOCS.exists(), reason="no source checkout")
def test_hoc_page_example_runs(tmp_path):
    """The hoc spine of docs/guide/hoc.rst: 50 pA into a 1 um x 100 nm neck."""
    (hoc,) = _blocks("guide/hoc.rst", "none")
    code = ("from spinepnp.loader import load_mechanisms; load_mechanisms()\n"
            "from neuron import h; h.load_file('stdrun.hoc')\n"
            f"h({hoc!r})\n"
            "print('RESULT', h.sp.vhead, h.sp.reff, h.sp.ineck, h.dend(0.5).v, h.celsius)\n")
    out = _run(code, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    vhead, reff, ineck, vdend, celsius = map(float, out.stdout.split("RESULT")[1].split())
    from spinepnp import laws
    neck = laws.Cylinder(length=1.0, radius=0.05)
    # mode 1 is the steady law at every step: head - dendrite is the law's dV for the
    # neck current; the head balance is solved to ~1e-10 mV, far below 1e-6 relative
    dv_law = laws.delta_v(ineck, neck, 167.0, 1.33, celsius)
    assert vhead - vdend == pytest.approx(dv_law, rel=1e-6)
    assert reff == pytest.approx(dv_law / ineck, rel=1e-6)
    # nearly all of the 50 pA leaves through the neck (the head's leak is tiny)
    assert 0.045 < ineck <= 0.05
