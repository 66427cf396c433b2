"""Entry point for `python -m kexplore`."""

from kexplore.cli import main

raise SystemExit(main())
