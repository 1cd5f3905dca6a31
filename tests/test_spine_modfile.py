"""Static checks of mechanisms/SpnpSpine.mod: the parameter contract and house rules."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from spinepnp.spine import OUTPUTS, PARAMETERS

MOD = Path(__file__).resolve().parents[1] / "mechanisms" / "SpnpSpine.mod"
INCLUDES = sorted(MOD.parent.glob("*.inc"))


def _block(text, name):
    return text.split(name + " {", 1)[1].split("\n}", 1)[0]


def test_parameters_documented_with_units_and_limits():
    text = MOD.read_text()
    block = _block(text, "PARAMETER")
    rows = [ln for ln in block.splitlines() if "=" in ln.split(":")[0]]
    names = []
    for ln in rows:
        m = re.match(r"\s*(\w+)\s*=\s*([-+\d.eE]+)\s*\(([^)]*)\)\s*<\s*([^,]+),\s*([^>]+)>", ln)
        assert m, f"parameter without a unit or <lo, hi> limits: {ln.strip()}"
        names.append(m.group(1))
        lo, hi, val = float(m.group(4)), float(m.group(5)), float(m.group(2))
        assert lo <= val <= hi, f"{m.group(1)} default {val} outside <{lo}, {hi}>"
    assert sorted(names) == sorted(PARAMETERS)           # spinepnp.spine documents them all
    ranges = " ".join(re.findall(r"RANGE ([^\n]+)", _block(text, "NEURON")))
    for name in list(PARAMETERS) + list(OUTPUTS):
        assert re.search(rf"\b{name}\b", ranges), f"{name} is not a RANGE variable"


def test_house_rules():
    text = MOD.read_text()
    assert "VERBATIM" not in text                        # breaks CoreNEURON / GPU builds
    assert "THREADSAFE" in _block(text, "NEURON")
    assert "POINT_PROCESS SpnpSpine" in text
    assert text.startswith("TITLE ") and "COMMENT" in text
    # no bare unit factors: every conversion comes from a UNITS declaration
    for src in [text] + [f.read_text() for f in INCLUDES]:
        assert "VERBATIM" not in src
        code = "\n".join(ln.split(":")[0] for ln in src.split("ENDCOMMENT", 1)[1].splitlines())
        code = re.sub(r"<[^>\n]*>", "", code)            # parameter limits are not factors
        # named thresholds of a CONSTANT block are not unit factors either
        code = re.sub(r"(?s)CONSTANT \{.*?\}", "", code)
        assert not re.search(r"\b1e[34]\b|\b1000\b|\b10000\b", code)


@pytest.mark.skipif(shutil.which("modlunit") is None and not
                    (Path(__import__("sys").executable).parent / "modlunit").exists(),
                    reason="modlunit not installed")
def test_modlunit_clean(tmp_path):
    import sys
    exe = Path(sys.executable).parent / "modlunit"
    exe = str(exe) if exe.exists() else shutil.which("modlunit")
    for f in [MOD] + INCLUDES:
        shutil.copy(f, tmp_path / f.name)
    proc = subprocess.run([exe, MOD.name], cwd=tmp_path, capture_output=True, text=True)
    out = "\n".join(ln for ln in (proc.stdout + proc.stderr).splitlines()
                    if ln.strip() and not ln.startswith(("Checking units of", "INCLUDEing ")))
    assert proc.returncode == 0 and out == "", out
