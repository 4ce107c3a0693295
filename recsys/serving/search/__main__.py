"""Entry point of `python -m recsys.serving.search`."""

import sys

from recsys.serving.search.cli import main

sys.exit(main())
