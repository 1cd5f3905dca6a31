"""Atomic result files: complete or absent, after errors, SIGINT and SIGTERM too, with
the permissions of an ordinary file and without touching the process umask."""

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from spinepnp import io

# A child that writes 'head', says so, waits (a long write), then writes 'tail'.
CHILD = textwrap.dedent("""
    import os, sys, time
    from spinepnp.io import atomic_path
    os.umask(int(sys.argv[2], 8))
    with atomic_path(sys.argv[1]) as tmp:
        with open(tmp, "w") as fh:
            fh.write("head\\n")
            fh.flush()
            print("writing", flush=True)
            time.sleep(float(sys.argv[3]))
            fh.write("tail\\n")
    print("done", flush=True)
""")


def _child(target, umask="022", sleep=1.0):
    return subprocess.Popen([sys.executable, "-c", CHILD, str(target), umask, str(sleep)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_writing(proc):
    assert proc.stdout.readline().strip() == "writing", proc.stderr.read()


def test_sigterm_during_a_write_leaves_the_whole_file(tmp_path):
    target = tmp_path / "result.csv"
    target.write_text("old\n")
    proc = _child(target)
    _wait_writing(proc)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    # the termination waited for the write: the process then died of SIGTERM before
    # printing "done", with the new file complete and no temporary file
    assert proc.returncode == -signal.SIGTERM and "done" not in out
    assert target.read_text() == "head\ntail\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.csv"]


def test_sigint_during_a_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "result.csv"
    target.write_text("old\n")
    proc = _child(target, sleep=30.0)
    _wait_writing(proc)
    proc.send_signal(signal.SIGINT)         # KeyboardInterrupt inside the write
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert target.read_text() == "old\n"                        # as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.csv"]


def test_an_exception_leaves_nothing_behind(tmp_path):
    target = tmp_path / "sub" / "fig.png"
    with pytest.raises(RuntimeError, match="boom"):
        with io.atomic_path(target) as tmp:
            assert tmp.suffix == ".png" and tmp.name.startswith(".")  # savefig format
            tmp.write_bytes(b"partial")
            raise RuntimeError("boom")
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("umask, mode", [("022", 0o644), ("027", 0o640), ("077", 0o600)])
def test_file_mode_follows_the_umask(tmp_path, umask, mode):
    target = tmp_path / "r.txt"
    proc = _child(target, umask=umask, sleep=0.0)
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == mode      # 0o666 & ~umask


def test_umask_is_never_changed(tmp_path, monkeypatch):
    def no_umask(*a):
        raise AssertionError("os.umask called: it races with other threads")
    monkeypatch.setattr(os, "umask", no_umask)
    io.write_csv_atomic(tmp_path / "a.csv", ["x"], [[1.5]])
    assert (tmp_path / "a.csv").read_text() == "x\n1.5\n"


def test_a_folder_as_target_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        io.write_text_atomic(tmp_path, "x")
    assert list(tmp_path.iterdir()) == []
