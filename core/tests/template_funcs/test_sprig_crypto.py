"""sprig's crypto functions: hashes checked by verifying them, keys and certificates by parsing
them with ``cryptography``, derivePassword against sprig's documented value."""

from __future__ import annotations

import base64
from typing import Any

import bcrypt as bcrypt_lib
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from extsecrets.templates.errors import FuncError, FuncPanic, LimitError
from extsecrets.templates.funcs import FUNCS


def call(name: str, *args: Any) -> Any:
    return FUNCS[name](*args)


def test_htpasswd() -> None:
    # ESO's case 12
    assert call("htpasswd", "foo1", "FZ4jR;l]ON;pHKi=_'zh79P", "sha") == (
        "foo1:{SHA}wtdJD6OIjUniEJkTlewnKzfFxA4="
    )
    assert call("htpasswd", "a:b", "pw", "sha") == "invalid username: a:b"
    line = call("htpasswd", "user", "secret", "bcrypt")
    user, _, digest = line.partition(":")
    assert user == "user"
    assert digest.startswith("$2a$10$")
    assert bcrypt_lib.checkpw(b"secret", digest.encode())


def test_bcrypt() -> None:
    h = call("bcrypt", "hunter2")
    assert h.startswith("$2a$10$")
    assert len(h) == 60
    assert bcrypt_lib.checkpw(b"hunter2", h.encode())
    assert not bcrypt_lib.checkpw(b"hunter3", h.encode())
    assert call("bcrypt", "x" * 73) == (
        "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
    )


def test_derive_password() -> None:
    # sprig's documentation
    assert call("derivePassword", 1, "long", "password", "user", "example.com") == "ZedaFaxcZaso9*"
    assert call("derivePassword", 1, "nope", "p", "u", "s") == "cannot find password template nope"


def test_gen_private_key_types() -> None:
    pem = call("genPrivateKey", "ecdsa")
    assert pem.startswith("-----BEGIN EC PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    pem = call("genPrivateKey", "ed25519")
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert isinstance(
        serialization.load_pem_private_key(pem.encode(), None), ed25519.Ed25519PrivateKey
    )
    assert call("genPrivateKey", "nope") == "Unknown type nope"


def test_gen_private_key_rsa_and_dsa() -> None:
    pem = call("genPrivateKey", "")
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 4096
    pem = call("genPrivateKey", "dsa")
    assert pem.startswith("-----BEGIN DSA PRIVATE KEY-----\n")
    dkey = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(dkey, dsa.DSAPrivateKey)
    assert dkey.key_size == 2048


def _load(c: Any) -> x509.Certificate:
    return x509.load_pem_x509_certificate(c.Cert.encode())


def test_gen_ca_and_signed_cert() -> None:
    ca = call("genCA", "my-ca", 30)
    assert FUNCS["typeOf"](ca) == "sprig.certificate"
    assert ca.go_field("Cert") == ca.Cert
    ca_cert = _load(ca)
    assert ca_cert.subject.rfc4514_string() == "CN=my-ca"
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    assert ca.Key.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    days = (ca_cert.not_valid_after_utc - ca_cert.not_valid_before_utc).days
    assert days == 30

    leaf = call("genSignedCert", "foo", ["10.0.0.1", "::1"], ["foo.com"], 10, ca)
    cert = _load(leaf)
    assert cert.issuer == ca_cert.subject
    cert.verify_directly_issued_by(ca_cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["foo.com"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.1", "::1"]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False

    self_signed = call("genSelfSignedCert", "bar", [], ["bar.com"], 1)
    _load(self_signed).verify_directly_issued_by(_load(self_signed))


def test_certificates_with_given_keys(chain: Any, pki: Any) -> None:
    key_pem = pki.pem_pkcs8(chain.leaf_key)
    c = call("genSelfSignedCertWithKey", "k", [], [], 1, key_pem)
    assert _load(c).public_key().public_numbers() == chain.leaf_key.public_key().public_numbers()
    ca = call("genCAWithKey", "ca", 1, key_pem)
    signed = call("genSignedCertWithKey", "s", [], [], 1, ca, pki.pem_pkcs8(chain.root_key))
    _load(signed).verify_directly_issued_by(_load(ca))
    custom = call(
        "buildCustomCert",
        base64.b64encode(pki.pem_cert(chain.leaf).encode()).decode(),
        base64.b64encode(key_pem.encode()).decode(),
    )
    assert custom.Cert == pki.pem_cert(chain.leaf)
    assert custom.Key == key_pem


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", [1], [], 1), "error parsing ip: 1 is not a string"),
        (("x", ["300.1.1.1"], [], 1), "error parsing ip: 300.1.1.1"),
        (("x", [], [2], 1), "error processing alternate dns name: 2 is not a string"),
    ],
)
def test_certificate_argument_errors(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(FuncError) as err:
        call("genSelfSignedCert", *args)
    assert str(err.value) == message


def test_private_key_pem_errors() -> None:
    with pytest.raises(FuncError) as err:
        call("genCAWithKey", "x", 1, "junk")
    assert str(err.value) == "parsing private key: no PEM data in input"
    with pytest.raises(FuncError) as err:
        call("genCAWithKey", "x", 1, "-----BEGIN FOO-----\n-----END FOO-----\n")
    assert str(err.value) == "parsing private key: no private key data in PEM block of type FOO"
    with pytest.raises(FuncError) as err:
        call("buildCustomCert", "!!", "")
    assert str(err.value) == "unable to decode base64 certificate"


def test_aes() -> None:
    enc = call("encryptAES", "secretkey", "plaintext")
    raw = base64.b64decode(enc)
    # the key is the password zero-padded to 32 bytes, CBC with a random IV first, PKCS#7
    dec = Cipher(algorithms.AES(b"secretkey".ljust(32, b"\0")), modes.CBC(raw[:16])).decryptor()
    plain = dec.update(raw[16:]) + dec.finalize()
    assert plain == b"plaintext" + bytes([7]) * 7
    assert call("decryptAES", "secretkey", enc) == "plaintext"
    assert call("encryptAES", "k", "") == ""
    assert call("decryptAES", "k", "") == ""
    with pytest.raises(FuncError) as err:
        call("decryptAES", "k", "@@")
    assert str(err.value) == "illegal base64 data at input byte 0"
    with pytest.raises(FuncPanic) as perr:
        call("decryptAES", "k", base64.b64encode(b"short").decode())
    assert str(perr.value) == "runtime error: slice bounds out of range [:16] with capacity 5"


def test_rand_bytes() -> None:
    out = call("randBytes", 24)
    assert len(base64.b64decode(out)) == 24
    assert call("randBytes", 24) != out
    with pytest.raises(LimitError):
        call("randBytes", 10**9)
    with pytest.raises(FuncPanic):
        call("randBytes", -1)
