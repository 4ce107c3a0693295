"""Entry point of `python -m recsys.publish.export`."""

import sys

from recsys.publish.export.cli import main

sys.exit(main())
