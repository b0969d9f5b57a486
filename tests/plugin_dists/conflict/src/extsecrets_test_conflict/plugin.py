"""A plugin that claims a name the AWS Secrets Manager plugin already serves."""

from __future__ import annotations

import attrs

import extsecrets
from extsecrets.types import ProviderService, Registration


@attrs.frozen
class Config:
    service: str
    region: str


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    return Registration(
        providers=[ProviderService(provider="aws", service="SecretsManager", config_type=Config)]
    )
