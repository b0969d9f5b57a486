"""The session's Go template oracle (tests/go_oracle), as the ``go_oracle`` fixture.

tests/conftest.py imports the fixture from here. Like the kube_server fixture, it builds what is
missing on first use (Debian packages, then a Go build of a few seconds, cached outside the
clone), so ``make test`` on a fresh machine needs no separate step.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from oracle_kit import GoOracle, build_oracle


@pytest.fixture(scope="session")
def go_oracle() -> Iterator[GoOracle]:
    with GoOracle(build_oracle()) as oracle:
        yield oracle
