"""`python -m iamlint`."""

import sys

from iamlint.cli import main

sys.exit(main())
