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


def test_one_head_solver():
    """The head balance has one solver, mechanisms/head_solver.inc: its bisection
    safeguard and walking cap are written once, there, and both drop-in spines
    (SpnpSpine.mod, SpnpSpineIons.mod) call it (no second Newton loop with its own
    bracket); the neck laws are defined once, in neck_laws.inc."""
    solver = MOD.parent / "head_solver.inc"
    laws_inc = MOD.parent / "neck_laws.inc"
    ions_mod = MOD.parent / "SpnpSpineIons.mod"
    text = MOD.read_text()
    assert 'INCLUDE "head_solver.inc"' in text and 'INCLUDE "neck_laws.inc"' in text
    ions_text = ions_mod.read_text()
    assert 'INCLUDE "head_solver.inc"' in ions_text
    assert re.search(r"= solve_head\(", ions_text)
    for name in ("neck_law", "head_law"):
        assert re.search(rf"^PROCEDURE {name}\(", ions_text, re.M), name
    sources = {f.name: f.read_text() for f in [MOD, ions_mod] + INCLUDES}
    # the bisection step and the doubling of the walking cap (as the six solvers of the
    # earlier file wrote them: 0.5*(lo + hi), cap = 2*cap)
    for pattern in (r"0\.5\*\(lo\w* \+ hi\w*\)", r"cap\w*(\[\w+\])? = 2\*cap"):
        where = [name for name, src in sources.items() if re.search(pattern, src)]
        assert where == [solver.name], (pattern, where)
    for name in ("root_start", "root_next", "solve_head"):
        defs = [n for n, src in sources.items()
                if re.search(rf"^(PROCEDURE|FUNCTION) {name}\(", src, re.M)]
        assert defs == [solver.name], (name, defs)
    for name in ("boltzmann_ratio", "segment_law", "linear_law"):
        defs = [n for n, src in sources.items()
                if re.search(rf"^(PROCEDURE|FUNCTION) {name}\(", src, re.M)]
        assert defs == [laws_inc.name], (name, defs)
    # the mechanism supplies the solver's two laws, and no procedure of the old solvers
    for name in ("neck_law", "head_law"):
        assert re.search(rf"^PROCEDURE {name}\(", text, re.M)
    for old in ("headsolve", "ringsolve", "spinegen", "spinenm"):
        assert not re.search(rf"\b{old}\b", text), old
    # the exponential of the steady law is evaluated in one place (its linear continuation
    # past x/VT = 50 with it); the fast path's Taylor steps move it, they do not redefine it
    assert "exp(50)*(1 + u - 50)" in laws_inc.read_text()
    assert "e50" not in text


def test_no_function_call_as_procedure_argument():
    """CoreNEURON's nmodl (NEURON 9.0.2) inlines a PROCEDURE call whose argument is a
    FUNCTION call without computing that function: the argument is left uninitialised
    (the ring spines' traces differed from NEURON's by 100 mV). Such calls are written
    with a LOCAL in between; this checks every mechanism source for the pattern."""
    sources = [MOD] + INCLUDES
    procedures = set()
    for f in sources:
        procedures |= set(re.findall(r"^PROCEDURE (\w+)\(", f.read_text(), re.M))
    bad = []
    for f in sources:
        code = f.read_text().split("ENDCOMMENT", 1)[1]
        for ln in code.splitlines():
            stmt = ln.split(":")[0]
            m = re.match(r"\s*(\w+)\((.*)\)\s*$", stmt)
            if m and m.group(1) in procedures and re.search(r"\w\(", m.group(2)):
                bad.append(f"{f.name}: {stmt.strip()}")
    assert bad == []
