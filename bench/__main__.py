"""`python -m bench`: every registered benchmark (see `bench.core`)."""

import sys

from bench.core import main

sys.exit(main())
