"""Sessions and clients for every AWS plugin.

:class:`AWSSession` is what the auth plugin hands to the service plugins (as
``Credentials.value``): credentials, region and retry settings, and :meth:`AWSSession.client`
to get a botocore client configured the way spec §2.8 and §2.9 ask. Every client:

- uses ESO's endpoint variable for its service when set (``AWS_STS_ENDPOINT``...), including
  the STS clients botocore's own credential chain creates (web identity from the environment);
- retries with botocore's ``standard`` mode, ``spec.retrySettings.maxRetries`` as the total
  number of attempts (ESO's meaning) and ``retryInterval`` as a fixed delay between them;
- counts each API call in :data:`extsecrets_aws_auth.metrics.API_CALLS`, failed ones (connection
  refused, timeouts, parameters botocore refuses...) with status ``error``.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.retries import quota, standard

from extsecrets.errors import drop_debug_records
from extsecrets.types import RetrySettings
from extsecrets_aws_auth.endpoints import endpoint_for
from extsecrets_aws_auth.metrics import API_CALLS, CallCounter, call_prepared, call_sent

__all__ = ["USER_AGENT_APP_ID", "AWSSession", "new_botocore_session"]

USER_AGENT_APP_ID = "extsecrets"


# botocore's DEBUG records include request and response bodies: secret values
drop_debug_records("botocore.parsers", "botocore.endpoint", "botocore.auth", "botocore.hooks")
# Service models are read once per process, not once per session.
_LOADER = botocore.loaders.create_loader()


class _FixedDelay:
    """``retryInterval``: the same pause before every retry (botocore's backoff interface)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def delay_amount(self, context: Any) -> float:
        return self._seconds


class _Session(botocore.session.Session):  # type: ignore[misc]
    """A botocore session whose clients follow ESO's endpoint variables, our retry settings,
    and are counted. botocore's credential providers create their STS clients through
    :meth:`create_client` too, so they follow the same rules."""

    def __init__(self, retry: RetrySettings | None, counter: CallCounter) -> None:
        super().__init__()
        self.register_component("data_loader", _LOADER)
        self._retry = retry
        self._counter = counter

    def create_client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = endpoint_for(service_name)
        retries: dict[str, Any] = {"mode": "standard"}
        if self._retry is not None:
            retries["total_max_attempts"] = self._retry.max_retries
        ours = Config(retries=retries, user_agent_appid=USER_AGENT_APP_ID)
        given = kwargs.get("config")
        kwargs["config"] = ours.merge(given) if given is not None else ours
        client = super().create_client(service_name, *args, **kwargs)
        self._instrument(client)
        return client

    def _instrument(self, client: Any) -> None:
        service = client.meta.service_model.service_name
        counter = self._counter

        # Each handler takes only what botocore passes on its event (botocore.client:
        # ``after-call`` gets http_response, parsed, model, context; ``after-call-error`` only
        # exception and context), plus ``event_name``, which every event carries.
        def prepared(model: Any, **_: Any) -> None:
            call_prepared(counter, service, model.name)

        def sending(**_: Any) -> None:
            call_sent()

        def after_call(http_response: Any, model: Any, **_: Any) -> None:
            call_sent()
            counter.add(service, model.name, str(getattr(http_response, "status_code", "")))

        def after_error(event_name: str, **_: Any) -> None:
            # a connection refused, a timeout, an SSL failure, missing credentials...
            call_sent()
            counter.add(service, event_name.rpartition(".")[2], "error")

        client.meta.events.register("provide-client-params", prepared)
        client.meta.events.register("before-call", sending)
        client.meta.events.register("after-call", after_call)
        client.meta.events.register("after-call-error", after_error)
        if self._retry is not None and self._retry.retry_interval:
            _fixed_interval(client, self._retry.max_retries, self._retry.retry_interval)


def _fixed_interval(client: Any, attempts: int, seconds: float) -> None:
    """Replace the standard retry handler's exponential backoff by a fixed delay, keeping its
    retry conditions, attempt limit and quota."""
    event_name = client.meta.service_model.service_id.hyphenize()
    unique_id = f"retry-config-{event_name}"
    client.meta.events.unregister(f"needs-retry.{event_name}", unique_id=unique_id)
    adapter = standard.RetryEventAdapter()
    throttling = standard.ThrottlingErrorDetector(adapter)
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=attempts),
            retry_backoff=_FixedDelay(seconds),
        ),
        retry_event_adapter=adapter,
        retry_quota=standard.RetryQuotaChecker(quota.RetryQuota(), throttling),
        service_name=event_name,
    )
    client.meta.events.register(
        f"needs-retry.{event_name}", handler.needs_retry, unique_id=unique_id
    )


def new_botocore_session(
    retry: RetrySettings | None = None, counter: CallCounter = API_CALLS
) -> botocore.session.Session:
    """A fresh botocore session (default credential chain until credentials are set)."""
    return _Session(retry, counter)


class AWSSession:
    """Credentials in a region, and the clients made from them (one per service, reused).

    ``identity`` is the ARN of the credentials when known (after an AssumeRole, or once asked
    with GetCallerIdentity), ``account`` its account; ``expires_at`` is when temporary
    credentials end (``None``: static, or refreshed by botocore itself).
    """

    def __init__(
        self,
        session: botocore.session.Session,
        region: str,
        *,
        identity: str = "",
        expires_at: dt.datetime | None = None,
    ) -> None:
        self._session = session
        self.region = region
        self.identity = identity
        self.expires_at = expires_at
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def account(self) -> str:
        """The account of ``identity`` (``""`` until the identity is known)."""
        parts = self.identity.split(":")
        return parts[4] if len(parts) > 5 and self.identity.startswith("arn:") else ""

    @property
    def partition(self) -> str:
        parts = self.identity.split(":")
        return parts[1] if len(parts) > 5 and self.identity.startswith("arn:") else ""

    @property
    def principal(self) -> str:
        """Who is calling: the identity ARN when known, else the access key id."""
        if self.identity:
            return self.identity
        creds = self._session.get_credentials()
        return str(creds.access_key) if creds is not None else ""

    @property
    def botocore_session(self) -> botocore.session.Session:
        return self._session

    def client(self, service: str, region: str | None = None) -> Any:
        """A client of ``service`` (botocore name: ``secretsmanager``, ``ssm``, ``ecr``...)."""
        key = f"{service}@{region or self.region}"
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self._session.create_client(service, region_name=region or self.region)
                self._clients[key] = found
            return found

    def __repr__(self) -> str:
        return f"AWSSession(region={self.region!r}, identity={self.identity!r})"
