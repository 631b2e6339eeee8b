"""`python -m toolkit` runs the `notice` command."""

from .cli import main

main()
