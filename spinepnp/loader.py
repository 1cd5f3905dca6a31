"""Compile and load spinepnp's NMODL mechanisms, once, into a cache directory.

``load_mechanisms()`` compiles every ``.mod`` file shipped with spinepnp with NEURON's
``nrnivmodl`` into ``<cache>/<key>/`` where ``key`` hashes the NMODL sources (the
``.mod`` files and the ``.inc`` files they ``INCLUDE``), the NEURON
version, the platform and whether CoreNEURON support was asked for, then loads the
library into NEURON. Later calls (and later processes) reuse the build. Nothing is ever
written into site-packages or the working directory.

The cache root is ``$SPINEPNP_CACHE`` if set, else ``$XDG_CACHE_HOME/spinepnp``, else
``~/.cache/spinepnp``. Concurrent builds (MPI ranks, parallel test workers) are
serialised with a file lock and published with an atomic rename.

Compiler flags: the mechanisms are compiled with :data:`OPT_FLAGS` added to NEURON's own
(``-O2``): ``-O3`` and a larger GCC inlining budget. NEURON 9 reaches every RANGE variable
through small accessor templates (``MechanismRange::fpfield``) that cost a function call
each unless inlined, and GCC's default unit-growth limit is used up by the registration
code of a mechanism with many variables (SpnpSpine has about a hundred), so without the
larger budget the per-step code of the spine calls its accessors out of line
(``comparisons/bench_spine.py`` measures the difference). ``$SPINEPNP_MOD_CFLAGS``
replaces these flags (set it to an empty string for NEURON's defaults); if the compiler
rejects them (its errors name one of them), the build is repeated without them and says
so on stderr. The flags are
part of the cache key.
"""

from __future__ import annotations


import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["MechanismBuildError", "mod_files", "source_files", "mod_dir", "cache_root",
           "build", "load_mechanisms", "loaded_build", "build_flags", "opt_flags",
           "OPT_FLAGS", "check_foreign_mechanisms", "USE_LOADED_ENV"]




_loaded: dict = {}   # {"path": Path, "coreneuron": bool}

#: Extra flags for the C++ compilation of the mechanisms (see the module docstring).
OPT_FLAGS = "-O3 --param inline-unit-growth=1000"
#: File in a build directory recording the extra flags it was compiled with.
FLAGS_FILE = "spinepnp-cflags.txt"


class MechanismBuildError(RuntimeError):
    """nrnivmodl failed; the message quotes its output."""


def mod_dir() -> Path:
    """Directory holding the shipped .mod files.

    An installed wheel carries them as package data (``spinepnp/mechanisms``); a source
    checkout has them in the top-level ``mechanisms/`` folder.
    """
    here = Path(__file__).resolve().parent
    for cand in (here / "mechanisms", here.parent / "mechanisms"):
        if cand.is_dir() and any(cand.glob("*.mod")):
            return cand
    raise MechanismBuildError(
        f"no .mod files found next to {here} (looked in spinepnp/mechanisms and "
        "../mechanisms); reinstall spinepnp with `pip install .` from a checkout")


def mod_files() -> list[Path]:
    """The shipped .mod files, sorted by name."""
    return sorted(mod_dir().glob("*.mod"))


def source_files() -> list[Path]:
    """Every NMODL source a build needs: the .mod files and the .inc files they
    ``INCLUDE`` (shared rate functions, laws and checks), sorted by name."""
    folder = mod_dir()
    return sorted(list(folder.glob("*.mod")) + list(folder.glob("*.inc")))


def cache_root() -> Path:
    """Root of the build cache (see module docstring)."""
    env = os.environ.get("SPINEPNP_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "spinepnp"


def _neuron_version() -> str:
    try:
        from importlib.metadata import version
        return version("neuron")
    except Exception:  # pragma: no cover - neuron built from source
        import neuron
        return getattr(neuron, "__version__", "unknown")


def opt_flags() -> str:
    """Compiler flags added to nrnivmodl's (``$SPINEPNP_MOD_CFLAGS`` or OPT_FLAGS)."""
    return os.environ.get("SPINEPNP_MOD_CFLAGS", OPT_FLAGS).strip()


def _build_key(files: list[Path], coreneuron: bool) -> str:
    return _sources_key([(f.name, f.read_bytes()) for f in files], coreneuron)


def _sources_key(sources: list[tuple[str, bytes]], coreneuron: bool) -> str:
    h = hashlib.sha256()
    for name, data in sources:
        h.update(name.encode())
        h.update(b"\0")
        h.update(data)
        h.update(b"\0")
    h.update(f"neuron={_neuron_version()};{platform.machine()};"
             f"py={sys.version_info[:2]};core={coreneuron};flags={opt_flags()}".encode())
    return h.hexdigest()[:16] + ("-core" if coreneuron else "")


def _nrnivmodl() -> str:
    cand = Path(sys.executable).parent / "nrnivmodl"
    if cand.exists():
        return str(cand)
    found = shutil.which("nrnivmodl")
    if not found:
        raise MechanismBuildError(
            "nrnivmodl was not found: install NEURON (`pip install neuron`) into the "
            "Python environment that runs spinepnp")
    return found


def _arch_dir(build_dir: Path) -> Path:
    libs = sorted(build_dir.glob("*/libnrnmech.so")) + sorted(
        build_dir.glob("*/.libs/libnrnmech.so"))
    if not libs:
        raise MechanismBuildError(f"no libnrnmech.so under {build_dir}")
    return libs[0].parent


def _run_nrnivmodl(where: Path, coreneuron: bool, flags: str, final: Path,
                   verbose: bool) -> subprocess.CompletedProcess:
    cmd = [_nrnivmodl()] + (["-coreneuron"] if coreneuron else [])
    if flags:
        cmd += ["-incflags", flags]
    cmd += ["."]
    if verbose:
        print(f"spinepnp: building mechanisms in {final}: {' '.join(cmd)}", file=sys.stderr)
    proc = subprocess.run(cmd, cwd=where, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if verbose:
        sys.stderr.write(proc.stdout)
    return proc


def _flags_rejected(output: str, flags: str) -> bool:
    """Whether a failed build's compiler errors name one of the extra flags (then the
    build is repeated without them; any other failure is reported as it is)."""
    options = [tok for tok in flags.split() if tok.startswith("-")]
    return any(opt in line for line in output.splitlines() if "error" in line.lower()
               for opt in options)


def build(coreneuron: bool = False, force: bool = False, verbose: bool = False) -> Path:
    """Compile the shipped mechanisms (if not cached) and return the build directory.

    Parameters
    ----------
    coreneuron : bool
        Build with ``nrnivmodl -coreneuron`` (the library then also runs under
        CoreNEURON; building takes longer).
    force : bool
        Rebuild even if a cached build exists.
    verbose : bool
        Print nrnivmodl's output to stderr.

    Raises
    ------
    MechanismBuildError
        If nrnivmodl fails (the message quotes its output) or is missing.
    """
    return _build_cached([(f.name, f.read_bytes()) for f in source_files()], coreneuron,
                         force, verbose, f"{len(mod_files())} mechanisms from {mod_dir()}")


def build_text(name: str, text: str) -> Path:
    """Compile one generated mechanism, ``<name>.mod`` with the NMODL ``text`` (cached
    and compiled like the shipped mechanisms, with the same extra flags), and return its
    library (load it with ``h.nrn_load_dll``)."""
    built = _build_cached([(f"{name}.mod", text.encode())], False, False, False,
                          f"the generated {name}.mod")
    return _arch_dir(built) / "libnrnmech.so"


def _build_cached(sources: list[tuple[str, bytes]], coreneuron: bool, force: bool,
                  verbose: bool, origin: str) -> Path:
    """Build ``sources`` ((file name, contents) pairs) into the cache under a lock,
    atomically; ``origin`` names them in errors."""
    key = _sources_key(sources, coreneuron)
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    lock_path = root / f"{key}.lock"
    with open(lock_path, "w") as lock:
        try:
            import fcntl
            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - non-POSIX
            pass
        if final.is_dir() and not force:
            try:
                _arch_dir(final)
                return final
            except MechanismBuildError:
                shutil.rmtree(final, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        try:
            for name, data in sources:
                (tmp / name).write_bytes(data)
            flags = opt_flags()
            proc = _run_nrnivmodl(tmp, coreneuron, flags, final, verbose)
            if proc.returncode != 0 and _flags_rejected(proc.stdout, flags):
                print(f"spinepnp: building the mechanisms with the extra compiler flags "
                      f"'{flags}' failed; building again with NEURON's default flags "
                      "(set SPINEPNP_MOD_CFLAGS to choose others)", file=sys.stderr)
                for sub in tmp.iterdir():
                    if sub.is_dir():
                        shutil.rmtree(sub, ignore_errors=True)
                flags = ""
                proc = _run_nrnivmodl(tmp, coreneuron, flags, final, verbose)
            if proc.returncode != 0:
                tail = "\n".join(proc.stdout.splitlines()[-60:])
                raise MechanismBuildError(
                    f"nrnivmodl failed (exit {proc.returncode}) building {origin}:\n"
                    f"{tail}\nFix the .mod file named above, or check that a C++ "
                    "compiler and make are installed.")
            _arch_dir(tmp)
            (tmp / FLAGS_FILE).write_text(flags + "\n")
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return final


def build_flags(path: Path | None = None) -> str | None:
    """Extra compiler flags a build directory (default: the loaded one) was made with,
    or None if unknown (mechanisms that NEURON loaded from the working directory)."""
    path = loaded_build() if path is None else path
    if path is None or not (Path(path) / FLAGS_FILE).exists():
        return None
    return (Path(path) / FLAGS_FILE).read_text().strip()


def loaded_build() -> Path | None:
    """Build directory loaded into this process, or None."""
    return _loaded.get("path")


#: Set to 1 to use spinepnp mechanisms that NEURON already holds from another library
#: (your own ``nrnivmodl`` build of these .mod files) instead of refusing them.
USE_LOADED_ENV = "SPINEPNP_USE_LOADED_MECHANISMS"


def _nrnmech_libraries() -> list:
    """Mechanism libraries (``*nrnmech*.so``) mapped into this process, in load order."""
    seen = []
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if "nrnmech" in Path(path).name and path not in seen:
                    seen.append(path)
    except OSError:              # pragma: no cover - not Linux
        pass
    return [Path(p) for p in seen]


def _library_arch_dir(lib: Path) -> Path:
    """The ``<arch>/`` folder (e.g. ``x86_64/``) nrnivmodl put ``lib`` in."""
    return lib.parent.parent if lib.parent.name == ".libs" else lib.parent


def check_foreign_mechanisms(h, coreneuron: bool = False) -> bool:
    """Refuse spinepnp mechanism names that NEURON already holds from another library.

    ``import neuron`` loads an ``x86_64/`` folder of ``nrnivmodl`` output from the
    working directory by itself; if that is a build of (an older version of) spinepnp's
    .mod files, NEURON would silently run those instead of the shipped ones, and loading
    the shipped build beside them would clash. Raises MechanismBuildError naming the
    folder of the library that holds them and the fix. Returns False when none of the
    names is present (load the shipped build), True when they come from the shipped,
    current build (or ``$SPINEPNP_USE_LOADED_MECHANISMS=1`` accepts them).
    """
    names = [f.stem for f in mod_files()]
    present = [n for n in names if hasattr(h, n)]
    if not present:
        return False
    if os.environ.get(USE_LOADED_ENV, "") == "1" and len(present) == len(names):
        return True
    # the current build; for a plain NEURON run its CoreNEURON variant serves as well
    current = [cache_root() / _build_key(mod_files(), core)
               for core in ((True,) if coreneuron else (False, True))]
    libs = _nrnmech_libraries()
    if any(c in lib.parents for lib in libs for c in current):
        return True
    foreign = [_library_arch_dir(lib) for lib in libs if cache_root() not in lib.parents]
    if not foreign and any(cache_root() in lib.parents for lib in libs):
        other = [str(lib) for lib in libs if cache_root() in lib.parents]
        raise MechanismBuildError(
            f"NEURON already holds another spinepnp build ({', '.join(other)}: the "
            "plain build where CoreNEURON's was asked for, or an older version), not the "
            f"one asked for (coreneuron={coreneuron}); a process holds one build: "
            "call load_mechanisms with the same coreneuron flag everywhere, or run in a "
            "fresh process")
    where = (", ".join(str(d.parent) for d in foreign) if foreign else
             f"a library loaded before spinepnp's (the working directory is {Path.cwd()})")
    missing = sorted(set(names) - set(present))
    raise MechanismBuildError(
        f"NEURON already holds the spinepnp mechanism(s) {', '.join(present)}"
        + (f" (but not {', '.join(missing)})" if missing else "")
        + f" from {where}, not from spinepnp's own build: probably an nrnivmodl build "
        "(x86_64/) that `import neuron` loaded from the working directory. NEURON would "
        "run those instead of the shipped mechanisms. Fix: delete "
        + (" and ".join(str(d) for d in foreign) if foreign else "that x86_64/ folder")
        + " (or start Python in another folder); to use that build on purpose (your own "
        f"`nrnivmodl mechanisms` of these same .mod files) set {USE_LOADED_ENV}=1")


def load_mechanisms(coreneuron: bool = False, verbose: bool = False) -> Path:
    """Build if needed, then load spinepnp's mechanisms into NEURON (idempotent).

    Parameters
    ----------
    coreneuron : bool
        Load the CoreNEURON-enabled build (and point CoreNEURON at it via the
        ``CORENEURONLIB`` environment variable) so that ``coreneuron.enable = True``
        works. A process can hold only one build: asking for CoreNEURON after the plain
        build was loaded raises an error.
    verbose : bool
        Print the build's output.

    Returns
    -------
    Path
        The build directory.

    Notes
    -----
    Also registers the parameter check of :mod:`spinepnp.validity`: from then on
    ``h.finitialize()`` raises an error naming any SpnpSpine that refused its parameters.
    """
    if _loaded:
        if coreneuron and not _loaded["coreneuron"]:
            raise MechanismBuildError(
                "spinepnp mechanisms were already loaded without CoreNEURON support in "
                "this process; call load_mechanisms(coreneuron=True) first thing, "
                "before any other load, or run CoreNEURON in a fresh process")
        return _loaded["path"]
    from neuron import h
    if check_foreign_mechanisms(h, coreneuron):
        _loaded.update(path=None, coreneuron=coreneuron)
        _install_checks(h)
        return None
    path = build(coreneuron=coreneuron, verbose=verbose)
    arch = _arch_dir(path)
    if coreneuron:
        core = arch / "libcorenrnmech.so"
        if core.exists():
            os.environ["CORENEURONLIB"] = str(core)
    if not h.nrn_load_dll(str(arch / "libnrnmech.so")):
        raise MechanismBuildError(f"NEURON could not load {arch / 'libnrnmech.so'}")
    _loaded.update(path=path, coreneuron=coreneuron)
    _install_checks(h)
    return path


def _install_checks(h) -> None:
    """Make ``h.finitialize()`` raise when an SpnpSpine refused its parameters (see
    :mod:`spinepnp.validity`)."""
    from .validity import install_parameter_check
    install_parameter_check(h)


