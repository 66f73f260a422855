"""`python -m app.cli`: the same command line as `patentbridge`."""

from app.cli import main

main()
