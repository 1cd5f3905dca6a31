"""Run spinepnp's comparisons from a checkout: the same as ``spinepnp compare``.

    python comparisons/run_comparisons.py all --out results [--quick] [--jobs 2]
    python comparisons/run_comparisons.py fig1 fig3 --out results --quick

The comparisons themselves live in :mod:`spinepnp.compare` (so that an installed
package has them); this script is the checkout's entry point and does no work at import.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv=None) -> int:
    """Parse ``argv`` like ``spinepnp compare`` and run; returns the exit code."""
    try:
        import spinepnp  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from spinepnp.cli import main as cli_main
    args = list(sys.argv[1:] if argv is None else argv)
    return cli_main(["compare"] + args)


if __name__ == "__main__":
    sys.exit(main())
