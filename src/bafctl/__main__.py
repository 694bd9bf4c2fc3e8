"""`python -m bafctl`."""

from bafctl.cli import main

main()
