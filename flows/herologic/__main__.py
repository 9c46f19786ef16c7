"""`python -m herologic`: see herologic.cli."""
import sys

from .cli import main

sys.exit(main())
