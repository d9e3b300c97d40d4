"""`python -m board` is the `board` command."""

import sys

from board.cli import main

sys.exit(main())
