"""Atomic file output: a result file is either complete or absent, never half written.

A writer fills a hidden temporary file beside the target (``.<stem>.<random>.tmp<suffix>``),
flushes it to disk and renames it onto the target in one step (``os.replace``), so a
reader, a crash or an interruption never sees a partial file:

- an exception (including ``KeyboardInterrupt``) removes the temporary file and leaves
  the target as it was;
- SIGTERM and SIGHUP are held back in the writing thread while the file is written and
  renamed: a termination asked for meanwhile takes effect right after, with the whole
  file in place (a large file delays it by the time the write takes);
- only SIGKILL, a power loss, or a SIGTERM that the kernel hands to another thread of
  a multi-threaded process (e.g. NEURON's worker threads) can leave the hidden
  temporary file behind, never a partial target.

The temporary file is created with mode 0o666 and the process umask applied by the
operating system (the mode an ordinary ``open`` gives); the umask itself is never
changed, so other threads are not affected.
"""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import signal
from pathlib import Path

__all__ = ["write_text_atomic", "write_csv_atomic", "atomic_path"]

#: Signals held back while a result file is written (the ones that ask a process to end;
#: SIGINT already arrives as KeyboardInterrupt, which cleans up).
_HELD_SIGNALS = {getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                 if hasattr(signal, name)}


@contextlib.contextmanager
def _signals_held():
    """Block SIGTERM/SIGHUP in this thread for the duration; pending ones arrive after."""
    if not hasattr(signal, "pthread_sigmask"):          # pragma: no cover - Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _new_temp(path: Path) -> Path:
    """Create an empty, new hidden file beside ``path`` (mode 0o666 minus the umask)."""
    for _ in range(100):
        # the target's suffix last, so writers that infer the format (savefig) see it
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:                         # pragma: no cover - 2^-32
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"no free temporary name beside {path}")  # pragma: no cover


def _fsync_file(path: Path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    For writers that want a file name (``savefig``). On any exception the temporary file
    is removed and ``path`` is left as it was. Raises IsADirectoryError, naming the
    folder, if ``path`` is an existing folder.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name for the result")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _signals_held():
        tmp = _new_temp(path)
        try:
            yield tmp
            _fsync_file(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_csv_atomic(path, header, rows) -> Path:
    """Write a CSV file atomically: ``header`` (list of column names) and ``rows``."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(list(header))
            for row in rows:
                w.writerow([f"{x:.10g}" if isinstance(x, float) else x for x in row])
    return Path(path)
