"""``python -m glassnet.cli``: the `glassnet` command."""
import sys

from . import main

sys.exit(main())
