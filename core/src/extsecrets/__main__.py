"""``python -m extsecrets``: the same as the ``extsecrets`` command."""

from extsecrets.cli import main

main()
