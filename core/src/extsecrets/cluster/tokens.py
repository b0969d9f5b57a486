"""Service-account tokens for the local cluster: RS256 JWTs shaped like the API server's.

The local adapter has no API server to ask for a TokenRequest, so it signs tokens itself with a
key pair made at start-up. The claims are those a bound service-account token carries, so a
plugin (or an STS emulator) that inspects them sees what it would see in a cluster.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from extsecrets.cluster.objects import ServiceAccountObject, ServiceAccountToken

__all__ = ["DEFAULT_ISSUER", "TokenIssuer"]

DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local"


class TokenIssuer:
    """Signs service-account tokens with its own RSA key (``public_key_pem`` verifies them)."""

    def __init__(self, issuer: str = DEFAULT_ISSUER) -> None:
        self.issuer = issuer
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key_pem = public.decode()
        self.key_id = uuid.uuid5(uuid.NAMESPACE_URL, self.public_key_pem).hex

    def issue(
        self,
        account: ServiceAccountObject,
        audiences: Sequence[str],
        expiration_seconds: int,
        now: dt.datetime | None = None,
    ) -> ServiceAccountToken:
        now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        expires = now + dt.timedelta(seconds=expiration_seconds)
        claims = {
            "iss": self.issuer,
            "sub": f"system:serviceaccount:{account.namespace}:{account.name}",
            "aud": list(audiences),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": str(uuid.uuid4()),
            "kubernetes.io": {
                "namespace": account.namespace,
                "serviceaccount": {"name": account.name, "uid": account.uid or ""},
            },
        }
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})
        return ServiceAccountToken(token, expires)
