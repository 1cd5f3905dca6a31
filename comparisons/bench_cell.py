#!/usr/bin/env python
"""Run :mod:`spinepnp.bench.cell` from a checkout (the code lives there)::

    python comparisons/bench_cell.py --quick
    python comparisons/bench_cell.py --help
"""

import sys
from pathlib import Path

try:
    import spinepnp  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spinepnp.bench.cell import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
