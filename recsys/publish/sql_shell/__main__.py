"""Entry point of `python -m recsys.publish.sql_shell`."""

import sys

from recsys.publish.sql_shell.cli import main

sys.exit(main())
