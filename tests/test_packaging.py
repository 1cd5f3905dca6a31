"""Repository hygiene that keeps CI and the README honest."""

import re

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)


@pytest.mark.skipif(not (ROOT / ".ci" / "run").exists(), reason="no source checkout")
def test_ci_runs_readme_test_command_verbatim():
    cmds = _readme_commands()
    test_cmd = [c for c in cmds if "pytest" in c]
    assert len(test_cmd) == 1, cmds
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd[0] in ci_lines


@pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(), reason="no source checkout")
def test_every_subpackage_is_packaged():
    tomllib = pytest.importorskip("tomllib")
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(cfg["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "spinepnp").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to pyproject.toml packages"


def test_light_imports():
    """Importing the laws or the package must not import NEURON or matplotlib."""
    import subprocess
    import sys
    code = ("import sys, spinepnp, spinepnp.laws, spinepnp.geometry, spinepnp.channels;"
            "bad = [m for m in ('neuron', 'matplotlib') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("k", range(len(re.findall(r"```python\n", (ROOT / "README.md").read_text()))))
def test_readme_python_examples_run(k, tmp_path):
    """Every Python example in README.md runs as written (in a fresh process)."""
    import subprocess
    import sys
    blocks = re.findall(r"```python\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S)
    out = subprocess.run([sys.executable, "-c", blocks[k]], capture_output=True, text=True,
                         cwd=tmp_path, env={**__import__("os").environ,
                                            "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
