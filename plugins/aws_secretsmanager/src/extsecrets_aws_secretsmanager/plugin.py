"""Hook implementations of the Secrets Manager plugin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import extsecrets
from extsecrets.errors import PluginError
from extsecrets.types import Credentials, FetchOutcome, FetchRef, Registration, StoreView
from extsecrets_aws_auth import aws_service
from extsecrets_aws_auth.session import AWSSession
from extsecrets_aws_secretsmanager import SERVICE
from extsecrets_aws_secretsmanager.fetch import fetch


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    """Serve ``spec.provider.aws`` with ``service: SecretsManager``; aws-auth authenticates."""
    return Registration(providers=[aws_service(SERVICE)])


@extsecrets.hookimpl
def extsecrets_fetch(
    store: StoreView, credentials: Credentials | None, refs: Sequence[FetchRef]
) -> Mapping[FetchRef, FetchOutcome]:
    session = credentials.value if credentials is not None else None
    if not isinstance(session, AWSSession):
        raise PluginError("the aws auth scheme gave no AWS session", plugin="aws-secretsmanager")
    return fetch(store, session, refs)
