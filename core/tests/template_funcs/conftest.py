"""Keys and certificates for the crypto function tests, made with ``cryptography`` (an encoder
independent of the functions under test)."""

from __future__ import annotations

import datetime
from typing import Any

import attrs
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def pem_cert(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def pem_pkcs8(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def make_cert(
    cn: str,
    key: Any,
    issuer: tuple[x509.Certificate, Any] | None = None,
    *,
    ca: bool = False,
    sans: list[x509.GeneralName] | None = None,
    ski: bool = True,
) -> x509.Certificate:
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()),
            critical=False,
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


@attrs.frozen
class Chain:
    root: x509.Certificate
    root_key: Any
    intermediate: x509.Certificate
    intermediate_key: Any
    leaf: x509.Certificate
    leaf_key: Any


class Pki:
    """The helpers as a fixture (test modules cannot import conftest by name)."""

    make_cert = staticmethod(make_cert)
    pem_cert = staticmethod(pem_cert)
    pem_pkcs8 = staticmethod(pem_pkcs8)


@pytest.fixture(scope="session")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="session")
def chain() -> Chain:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = make_cert("root-ca", root_key, ca=True)
    int_key = ec.generate_private_key(ec.SECP256R1())
    intermediate = make_cert("intermediate-ca", int_key, (root, root_key), ca=True)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = make_cert(
        "foo",
        leaf_key,
        (intermediate, int_key),
        sans=[x509.DNSName("foo.example.com")],
    )
    return Chain(root, root_key, intermediate, int_key, leaf, leaf_key)
