"""Every shipped .mod file is unit-consistent (modlunit), THREADSAFE and free of VERBATIM.

VERBATIM blocks break CoreNEURON and GPU code generation; THREADSAFE is needed for
multithreaded runs. Both are checked on the code with comments removed, so a COMMENT
block may mention the words.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MECH_DIR = Path(__file__).resolve().parent.parent / "mechanisms"
MOD_FILES = sorted(MECH_DIR.glob("*.mod"))


def _modlunit() -> str:
    cand = Path(sys.executable).parent / "modlunit"
    found = str(cand) if cand.exists() else shutil.which("modlunit")
    if not found:
        pytest.fail("modlunit (part of NEURON) was not found next to the Python "
                    "interpreter or on PATH")
    return found


def _code_without_comments(text: str) -> str:
    """NMODL source without COMMENT ... ENDCOMMENT blocks and ':' / '?' line comments."""
    text = re.sub(r"(?ms)^\s*COMMENT\b.*?^\s*ENDCOMMENT\b", "", text)
    return "\n".join(re.split(r"[:?]", line, maxsplit=1)[0] for line in text.splitlines())


def test_there_are_mod_files():
    assert MOD_FILES, f"no .mod files in {MECH_DIR}"


@pytest.mark.parametrize("mod", MOD_FILES, ids=[m.name for m in MOD_FILES])
def test_modlunit_clean(mod, tmp_path):
    # run in a scratch directory: modlunit must not leave files next to the sources
    proc = subprocess.run([_modlunit(), str(mod)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    out = (proc.stdout + proc.stderr).strip()
    extra = [ln for ln in out.splitlines()
             if ln.strip() and not ln.startswith(("Checking units of", "INCLUDEing "))]
    assert proc.returncode == 0 and not extra, (
        f"modlunit reports a problem in {mod.name} (exit {proc.returncode}):\n{out}")


@pytest.mark.parametrize("mod", MOD_FILES, ids=[m.name for m in MOD_FILES])
def test_threadsafe_and_no_verbatim(mod):
    code = _code_without_comments(mod.read_text())
    assert not re.search(r"\bVERBATIM\b", code), f"{mod.name} contains a VERBATIM block"
    neuron_block = re.search(r"(?s)\bNEURON\s*\{(.*?)\}", code)
    assert neuron_block, f"{mod.name} has no NEURON block"
    assert re.search(r"\bTHREADSAFE\b", neuron_block.group(1)), (
        f"{mod.name}: declare THREADSAFE in the NEURON block")


def test_checker_catches_a_unit_error(tmp_path):
    """The modlunit check itself works: a missing conversion factor is reported."""
    bad = tmp_path / "bad.mod"
    bad.write_text(
        "NEURON { SUFFIX bad NONSPECIFIC_CURRENT i RANGE g THREADSAFE }\n"
        "UNITS { (mA) = (milliamp) (mV) = (millivolt) (mS) = (millisiemens) }\n"
        "PARAMETER { g = 1 (mS/cm2) <0,1e9> }\n"
        "ASSIGNED { v (mV) i (mA/cm2) }\n"
        "BREAKPOINT { i = g*v }\n")
    proc = subprocess.run([_modlunit(), str(bad)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    assert "conversion factor" in proc.stdout + proc.stderr


def test_comment_stripping():
    src = ("COMMENT\nno VERBATIM here\nENDCOMMENT\nNEURON { THREADSAFE : VERBATIM\n}\n"
           "? VERBATIM\n")
    code = _code_without_comments(src)
    assert "VERBATIM" not in code and "THREADSAFE" in code


def test_constants_survive_coreneuron():
    """Every NMODL CONSTANT is exact in 6 significant digits: CoreNEURON's NMODL (NEURON
    9.0.2) writes a CONSTANT's value into its C++ with 6 (``double half_sqrt2{0.707107};``
    for 0.70710678118654752), so a longer one would differ between NEURON and
    CoreNEURON. Such values belong in the code as literals, which it keeps whole."""
    files = sorted(MECH_DIR.glob("*.mod")) + sorted(MECH_DIR.glob("*.inc"))
    seen = 0
    for f in files:
        code = _code_without_comments(f.read_text())
        for block in re.findall(r"(?s)\bCONSTANT\s*\{(.*?)\}", code):
            for name, value in re.findall(r"(\w+)\s*=\s*([-+0-9.eE]+)", block):
                seen += 1
                v = float(value)
                assert float(f"{v:.6g}") == v, (
                    f"{f.name}: CONSTANT {name} = {value} is not exact in 6 digits; "
                    f"CoreNEURON would use {v:.6g}: write it as a literal where it is used")
    assert seen > 0                        # (the parser found the solver's constants)
