"""``python -m tsforecast``: the command line (see :mod:`tsforecast.cli`)."""

import sys

from .cli import main

sys.exit(main())
