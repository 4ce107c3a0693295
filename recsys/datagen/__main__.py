"""Entry point of `python -m recsys.datagen`."""

import sys

from recsys.datagen.cli import main

sys.exit(main())
