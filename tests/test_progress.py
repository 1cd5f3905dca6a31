"""The one progress bar (comparisons, PNP sweeps and transients)."""

import io

from spinepnp.progress import Progress


def test_log_stream_gets_notes_and_the_end_not_every_update():
    out = io.StringIO()                     # not a terminal: whole lines, rarely
    bar = Progress(4, "job", stream=out)
    for _ in range(3):
        bar.update()
    assert out.getvalue() == ""             # < 2 s apart and no note: nothing yet
    bar.update(note="last one")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("job [" + "#" * 30 + "] 100.0%")
    assert lines[0].endswith("last one")


def test_callback_form_takes_a_new_total_and_fractions():
    out = io.StringIO()
    bar = Progress(1, "t", stream=out)
    bar(0.25, 0.5, "t = 0.25 ms")           # solver callback: (done, total, note)
    assert " 50.0%" in out.getvalue() and "#" * 15 + "." * 15 in out.getvalue()
    assert bar.total == 0.5


def test_quiet_prints_nothing():
    out = io.StringIO()
    bar = Progress(2, "q", stream=out, quiet=True)
    bar.update(note="x")
    bar.update(2)
    assert out.getvalue() == ""
