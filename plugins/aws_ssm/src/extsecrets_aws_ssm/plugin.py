"""Hook implementations of the Parameter Store plugin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import extsecrets
from extsecrets.types import Credentials, FetchOutcome, FetchRef, Registration, StoreView
from extsecrets_aws_auth import aws_service
from extsecrets_aws_auth.reads import session_from
from extsecrets_aws_ssm import SERVICE
from extsecrets_aws_ssm.fetch import fetch


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    """Serve ``spec.provider.aws`` with ``service: ParameterStore``; aws-auth authenticates."""
    return Registration(providers=[aws_service(SERVICE)])


@extsecrets.hookimpl
def extsecrets_fetch(
    store: StoreView, credentials: Credentials | None, refs: Sequence[FetchRef]
) -> Mapping[FetchRef, FetchOutcome]:
    return fetch(store, session_from(credentials, "aws-ssm"), refs)
