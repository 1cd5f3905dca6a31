"""Mechanism loading: compiled once into a hash-keyed cache, errors quote nrnivmodl."""

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spinepnp import loader


def test_mod_files_found_and_named_with_prefix():
    files = loader.mod_files()
    assert files, "no .mod files shipped"
    for f in files:
        assert f.stem.startswith("Spnp"), f"{f.name}: mechanism names carry the Spnp prefix"
        text = f.read_text()
        # the .mod file is named after its mechanism
        assert f"POINT_PROCESS {f.stem}" in text or f"SUFFIX {f.stem}" in text


def test_build_key_depends_on_sources(tmp_path, monkeypatch):
    src = tmp_path / "mods"
    src.mkdir()
    for f in loader.mod_files():
        shutil.copy(f, src / f.name)
    monkeypatch.setattr(loader, "mod_dir", lambda: src)
    k1 = loader._build_key(loader.mod_files(), False)
    k2 = loader._build_key(loader.mod_files(), True)
    (src / "SpnpKinSyn.mod").write_text((src / "SpnpKinSyn.mod").read_text() + "\n: x\n")
    k3 = loader._build_key(loader.mod_files(), False)
    assert len({k1, k2, k3}) == 3


def test_build_key_depends_on_compiler_flags(monkeypatch):
    monkeypatch.delenv("SPINEPNP_MOD_CFLAGS", raising=False)
    k1 = loader._build_key(loader.mod_files(), False)
    assert loader.opt_flags() == loader.OPT_FLAGS
    monkeypatch.setenv("SPINEPNP_MOD_CFLAGS", "")
    assert loader.opt_flags() == ""
    assert loader._build_key(loader.mod_files(), False) != k1


def test_loaded_build_records_its_flags(mechanisms):
    path = loader.loaded_build()
    if path is None:
        pytest.skip("mechanisms were compiled into this NEURON outside the loader")
    assert loader.build_flags(path) == loader.opt_flags()


def test_rejected_compiler_flags_fall_back_to_defaults(tmp_path, monkeypatch, capfd):
    """A compiler that rejects the extra flags still gets a working build, with NEURON's
    default flags, and says so."""
    src = tmp_path / "mods"
    src.mkdir()
    shutil.copy(loader.mod_dir() / "SpnpKinSyn.mod", src / "SpnpKinSyn.mod")
    monkeypatch.setattr(loader, "mod_dir", lambda: src)
    monkeypatch.setenv("SPINEPNP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SPINEPNP_MOD_CFLAGS", "-fno-such-option-for-spinepnp")
    path = loader.build()
    assert (loader._arch_dir(path) / "libnrnmech.so").exists()
    assert loader.build_flags(path) == ""
    assert "building again with NEURON's default flags" in capfd.readouterr().err


def test_failed_build_quotes_compiler(tmp_path, monkeypatch):
    src = tmp_path / "mods"
    src.mkdir()
    (src / "SpnpBroken.mod").write_text(
        "NEURON { POINT_PROCESS SpnpBroken }\nBREAKPOINT { x = }\n")
    monkeypatch.setattr(loader, "mod_dir", lambda: src)
    monkeypatch.setenv("SPINEPNP_CACHE", str(tmp_path / "cache"))
    cwd_before = sorted(os.listdir(os.getcwd()))
    with pytest.raises(loader.MechanismBuildError) as err:
        loader.build()
    msg = str(err.value)
    assert "nrnivmodl failed" in msg and "SpnpBroken" in msg
    # nothing published in the cache, nothing written to the working directory
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]
    assert sorted(os.listdir(os.getcwd())) == cwd_before


def test_build_is_cached(mechanisms):
    path = loader.build()
    assert path == loader.build()         # same key, same directory, no rebuild
    assert path.parent == loader.cache_root()
    assert (loader._arch_dir(path) / "libnrnmech.so").exists()
    assert loader.load_mechanisms() == mechanisms     # idempotent


def test_never_writes_into_package(mechanisms):
    pkg = Path(loader.__file__).parent
    assert not list(pkg.rglob("libnrnmech.so"))
    assert not (Path(os.getcwd()) / "x86_64").exists()


def test_kinetic_synapse_matches_analytic(h):
    """SpnpKinSyn under CVODE against the closed-form solution of eq 15."""
    soma = h.Section(name="soma")
    soma.L = soma.diam = 10
    syn = h.SpnpKinSyn(soma(0.5))
    syn.gmax, syn.alpha, syn.beta, syn.tmax, syn.tdur = 0.002, 1.1, 0.19, 1.0, 1.0
    ns = h.NetStim()
    ns.number, ns.start = 1, 2.0
    nc = h.NetCon(ns, syn)
    nc.weight[0] = 0.5               # half a standard pulse: T = 0.5 mM
    nc.delay = 0.5                   # release at t = 2.5 ms
    ts, ss = h.Vector(), h.Vector()
    ts.record(h._ref_t)
    ss.record(syn._ref_s)
    h.cvode_active(1)
    h.cvode.atol(1e-10)
    h.cvode.rtol(1e-10)
    h.finitialize(-65)
    h.continuerun(10)
    t, s = np.array(ts), np.array(ss)
    t0, t1 = 2.5, 3.5
    k_on = 1.1 * 0.5 + 0.19
    s_inf = 1.1 * 0.5 / k_on
    s1 = s_inf * (1 - math.exp(-k_on * (t1 - t0)))
    expect = np.where(t <= t0, 0.0,
                      np.where(t <= t1, s_inf * (1 - np.exp(-k_on * (t - t0))),
                               s1 * np.exp(-0.19 * (t - t1))))
    # CVODE at rtol = atol = 1e-10 with exact event times: error dominated by the
    # integrator tolerance accumulated over ~100 steps, well below 1e-7.
    assert np.max(np.abs(s - expect)) < 1e-7
    assert np.max(s) == pytest.approx(s1, rel=1e-6)


def test_kinetic_synapse_overlapping_pulses(h):
    soma = h.Section(name="soma")
    syn = h.SpnpKinSyn(soma(0.5))
    ns = h.NetStim()
    ns.number, ns.start, ns.interval, ns.noise = 3, 1.0, 0.3, 0   # pulses overlap
    nc = h.NetCon(ns, syn)
    nc.weight[0] = 1.0
    tv = h.Vector()
    tv.record(syn._ref_T)
    h.finitialize(-65)
    h.continuerun(5)
    tmax = max(tv)
    # three 1-ms pulses 0.3 ms apart overlap: peak transmitter is 3 pulses' worth, and
    # it returns to exactly zero afterwards (no rounding residue).
    assert tmax == pytest.approx(3.0, rel=1e-12)
    assert tv[len(tv) - 1] == 0.0


def test_kinetic_synapse_decays_to_exact_zero_not_subnormal(h):
    """Fixed step: after a pulse s decays to exactly 0, through no subnormal value.

    Without the floor (checked on the previous mechanism) s sticks at 5.2e-322 for
    good: cnexp's decrement beta*dt*s rounds to 0 there."""
    soma = h.Section(name="soma")
    syn = h.SpnpKinSyn(soma(0.5))
    syn.beta = 2.0                   # /ms: below 1e-290 about 330 ms after the pulse
    ns = h.NetStim()
    ns.number, ns.start = 1, 2.0
    nc = h.NetCon(ns, syn)
    nc.weight[0] = 1.0
    sv = h.Vector()
    sv.record(syn._ref_s)
    h.cvode_active(0)
    h.dt = 0.025
    h.finitialize(-65)
    h.continuerun(500)
    s = np.array(sv)
    assert s.max() > 0.1             # the pulse did open the synapse
    tiny = np.finfo(float).tiny      # smallest normal double, 2.2e-308
    assert not np.any((s > 0) & (s < tiny)), "a subnormal s was recorded"
    assert s[-1] == 0.0
    # the floor engages exactly where documented: the last nonzero value is below
    # 1e-290 and the one before it is not (else it would have been set to 0 there)
    last = np.flatnonzero(s)[-1]
    assert s[last] < 1e-290 <= s[last - 1]


def test_installed_wheel_ships_mod_files(tmp_path):
    """`pip wheel` packs the .mod files as spinepnp/mechanisms/*.mod."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "pyproject.toml").exists():
        pytest.skip("not running from a source checkout")
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                          "-w", str(tmp_path), str(root)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    import zipfile
    whl = next(tmp_path.glob("spinepnp-*.whl"))
    names = zipfile.ZipFile(whl).namelist()
    shipped = {Path(n).name for n in names if n.startswith("spinepnp/mechanisms/")}
    assert {f.name for f in loader.mod_files()} <= shipped


def _stub_build(folder: Path, names):
    """A real nrnivmodl build in ``folder/x86_64`` of stub mechanisms with spinepnp's
    names (what an old `nrnivmodl mechanisms` left in a working directory)."""
    mods = folder / "mods"
    mods.mkdir()
    for name in names:
        kind = "SUFFIX" if name == "SpnpRHH" else "POINT_PROCESS"
        (mods / f"{name}.mod").write_text(f"NEURON {{ {kind} {name} }}\n")
    proc = subprocess.run([loader._nrnivmodl(), "mods"], cwd=folder, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (folder / "x86_64").is_dir()


def test_stale_build_in_the_working_directory_is_refused(tmp_path):
    """`import neuron` loads ./x86_64 by itself; load_mechanisms must not run on those
    mechanisms silently: it raises, naming that folder and the fix."""
    names = [f.stem for f in loader.mod_files()]
    _stub_build(tmp_path, names)
    code = ("from spinepnp.loader import load_mechanisms\n"
            "try:\n    load_mechanisms()\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    env = dict(os.environ)
    env.pop("SPINEPNP_USE_LOADED_MECHANISMS", None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert out.startswith("MechanismBuildError"), out + proc.stderr[-2000:]
    assert str(tmp_path / "x86_64") in out and "delete" in out.lower()
    assert "SPINEPNP_USE_LOADED_MECHANISMS=1" in out
    # the escape hatch for a deliberate own build of the same .mod files
    env["SPINEPNP_USE_LOADED_MECHANISMS"] = "1"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.stdout == "", proc.stdout


def test_another_spinepnp_build_already_loaded_is_named(mechanisms):
    """The plain build loaded by hand, then CoreNEURON's asked for: refused (no build
    is compiled for that), naming the loaded library and the fix."""
    code = ("from spinepnp import loader\n"
            "p = loader.build()\n"
            "from neuron import h\n"
            "h.nrn_load_dll(str(loader._arch_dir(p) / 'libnrnmech.so'))\n"
            "try:\n    loader.load_mechanisms(coreneuron=True)\n"
            "except loader.MechanismBuildError as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).parent)
    assert "another spinepnp build" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    assert str(loader.cache_root()) in proc.stdout and "fresh process" in proc.stdout
