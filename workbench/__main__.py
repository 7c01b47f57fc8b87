"""`python -m workbench` runs the same command line as `workbench`."""

from workbench.cli import main

main()
