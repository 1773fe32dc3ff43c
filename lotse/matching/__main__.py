"""``python -m lotse.matching`` — see :mod:`lotse.matching.cli`."""

import sys

from .cli import main

sys.exit(main())
