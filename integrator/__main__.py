"""`python -m integrator`."""

from integrator.cli import main

main()
