"""``python -m spinepnp`` is the ``spinepnp`` command."""

import sys

from .cli import main

sys.exit(main())
