"""`python -m integrator`."""

from integrator.cli.app import main

main()
