"""``python -m kangaroo_paw``: the ``kangaroo-paw`` command line."""

import sys

from kangaroo_paw.entrypoints.cli import main

sys.exit(main())
