"""Atomic file output: a result file is either complete or absent, never half written."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic", "write_csv_atomic", "atomic_path"]


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Use for writers that want a file name (``savefig``): on any exception the temporary
    file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix,
                               dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates 0600; give the result the permissions of an ordinary file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)
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
