"""`python -m kawaeval` works the same as the `kawaeval` command."""

import sys

from kawaeval.cli import main

sys.exit(main())
