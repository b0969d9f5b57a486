"""sprig's crypto.go: hashes for passwords, key and certificate generation, AES, random bytes.

Randomness comes from ``secrets``/OpenSSL. Key generation is bounded by the render's time limit
(checked when it returns): sprig's ``genPrivateKey`` makes 4096-bit RSA keys.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import ipaddress
import secrets
import struct
from typing import Any

import bcrypt as bcrypt_lib
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from extsecrets.templates.errors import FuncError, FuncPanic
from extsecrets.templates.limits import check_deadline

from . import _gopem as pem
from ._cast import strval
from ._go import B, S, check_size
from .objects import GoObject
from .signature import LIST, go
from .sprig_encoding import CorruptInput, go_b64decode

__all__ = ["FUNCS", "Certificate"]

CERT_TYPE = "sprig.certificate"


class Certificate(GoObject):
    """sprig's ``certificate`` struct: PEM ``Cert`` and ``Key``."""

    go_type = CERT_TYPE
    go_fields = ("Cert", "Key")

    def __init__(self, cert: str = "", key: str = "") -> None:
        self.Cert = cert
        self.Key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and (self.Cert, self.Key) == (other.Cert, other.Key)

    def __hash__(self) -> int:
        return hash((self.Cert, self.Key))


# -- password hashes ----------------------------------------------------------------------------


def _bcrypt(data: bytes) -> str:
    try:
        return bcrypt_lib.hashpw(data, bcrypt_lib.gensalt(10, prefix=b"2a")).decode("ascii")
    except ValueError:
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"


@go("string")
def bcrypt(s: str) -> str:
    return _bcrypt(B(s))


@go("string", "string", "sprig.HashAlgorithm")
def htpasswd(username: str, password: str, algorithm: str) -> str:
    if ":" in username:
        return f"invalid username: {username}"
    if algorithm == "sha":
        digest = hashlib.sha1(B(password)).digest()
        return f"{username}:{{SHA}}{base64.b64encode(digest).decode('ascii')}"
    return f"{username}:{_bcrypt(B(password))}"


@go("int", returns=("string", "error"))
def randBytes(count: int) -> str:
    if count < 0:
        raise FuncPanic("runtime error: makeslice: len out of range")
    check_size(count * 4 // 3 + 4)
    return base64.b64encode(secrets.token_bytes(count)).decode("ascii")


# derivePassword: the Master Password algorithm
_TEMPLATES = {
    "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
    "long": [
        "CvcvnoCvcvCvcv",
        "CvcvCvcvnoCvcv",
        "CvcvCvcvCvcvno",
        "CvccnoCvcvCvcv",
        "CvccCvcvnoCvcv",
        "CvccCvcvCvcvno",
        "CvcvnoCvccCvcv",
        "CvcvCvccnoCvcv",
        "CvcvCvccCvcvno",
        "CvcvnoCvcvCvcc",
        "CvcvCvcvnoCvcc",
        "CvcvCvcvCvccno",
        "CvccnoCvccCvcv",
        "CvccCvccnoCvcv",
        "CvccCvccCvcvno",
        "CvcvnoCvccCvcc",
        "CvcvCvccnoCvcc",
        "CvcvCvccCvccno",
        "CvccnoCvcvCvcc",
        "CvccCvcvnoCvcc",
        "CvccCvcvCvccno",
    ],
    "medium": ["CvcnoCvc", "CvcCvcno"],
    "short": ["Cvcn"],
    "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
    "pin": ["nnnn"],
}
_CHARS = {
    "V": "AEIOU",
    "C": "BCDFGHJKLMNPQRSTVWXYZ",
    "v": "aeiou",
    "c": "bcdfghjklmnpqrstvwxyz",
    "A": "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
    "a": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
    "n": "0123456789",
    "o": "@&%?,=[]_:-+*$#!'^~;()/.",
    "x": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
}
_SEED = b"com.lyndir.masterpassword"


@go("uint32", "string", "string", "string", "string")
def derivePassword(counter: int, kind: str, password: str, user: str, site: str) -> str:
    templates = _TEMPLATES.get(kind)
    if templates is None:
        return f"cannot find password template {kind}"
    ub, sb = B(user), B(site)
    salt = _SEED + struct.pack(">I", len(ub) & 0xFFFFFFFF) + ub
    key = hashlib.scrypt(B(password), salt=salt, n=32768, r=8, p=2, maxmem=64 << 20, dklen=64)
    msg = _SEED + struct.pack(">I", len(sb) & 0xFFFFFFFF) + sb + struct.pack(">I", counter)
    seed = hmac.new(key, msg, hashlib.sha256).digest()
    temp = templates[seed[0] % len(templates)]
    return "".join(_CHARS[c][seed[i + 1] % len(_CHARS[c])] for i, c in enumerate(temp))


# -- keys ---------------------------------------------------------------------------------------


def _pem_for_key(key: Any) -> str:
    """sprig's pemBlockForKey: PKCS#1 RSA, DSA, SEC 1 EC, else PKCS#8."""
    if isinstance(key, rsa.RSAPrivateKey | dsa.DSAPrivateKey | ec.EllipticCurvePrivateKey):
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        fmt = serialization.PrivateFormat.PKCS8
    data = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    return S(bytes(data))


@go("string")
def genPrivateKey(kind: str) -> str:
    key: Any
    if kind in ("", "rsa"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    elif kind == "dsa":
        key = dsa.generate_private_key(key_size=2048)
    elif kind == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    elif kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        return "Unknown type " + kind
    check_deadline()
    return _pem_for_key(key)


def _parse_private_key_pem(text: str) -> Any:
    """sprig's parsePrivateKeyPEM."""
    block, _ = pem.decode(B(text))
    if block is None:
        raise FuncError("no PEM data in input")
    load = serialization.load_der_private_key
    if block.type == "PRIVATE KEY":
        try:
            return load(block.bytes, None)
        except Exception:
            raise FuncError(
                "decoding PEM as PKCS#8: x509: failed to parse private key (use "
                "ParsePKCS1PrivateKey instead for this key format)"
            ) from None
    if not block.type.endswith(" PRIVATE KEY"):
        raise FuncError(f"no private key data in PEM block of type {block.type}")
    kind = block.type[: -len(" PRIVATE KEY")]
    want = {"RSA": rsa.RSAPrivateKey, "EC": ec.EllipticCurvePrivateKey, "DSA": dsa.DSAPrivateKey}
    if kind not in want:
        raise FuncError(f"invalid private key type {block.type}")
    try:
        key = load(block.bytes, None)
        if not isinstance(key, want[kind]):
            raise ValueError
        return key
    except Exception:
        what = {"RSA": "RSA", "EC": "EC", "DSA": "DSA"}[kind]
        raise FuncError(f"parsing {what} private key from PEM: asn1: structure error") from None


# -- certificates -------------------------------------------------------------------------------


def _net_ips(ips: list[Any] | None) -> list[Any]:
    out = []
    for ip in ips or []:
        if not isinstance(ip, str):
            raise FuncError(f"error parsing ip: {strval(ip)} is not a string")
        try:
            if "%" in ip:
                raise ValueError
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise FuncError(f"error parsing ip: {ip}") from None
        out.append(addr)
    return out


def _dns_names(names: list[Any] | None) -> list[str]:
    out = []
    for n in names or []:
        if not isinstance(n, str):
            raise FuncError(f"error processing alternate dns name: {strval(n)} is not a string")
        out.append(n)
    return out


def _ski(public_key: Any) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def _create(
    cn: str,
    ips: list[Any] | None,
    dns: list[Any] | None,
    days: int,
    key: Any,
    is_ca: bool,
    signer: tuple[x509.Certificate, Any] | None,
) -> Certificate:
    addrs, names = _net_ips(ips), _dns_names(dns)
    if isinstance(key, dsa.DSAPrivateKey) or (
        signer is not None and isinstance(signer[1], dsa.DSAPrivateKey)
    ):
        raise FuncError(
            "error creating certificate: x509: certificate private key does not implement "
            "crypto.Signer"
        )
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]) if cn else x509.Name([])
    issuer = signer[0].subject if signer else subject
    signing_key = signer[1] if signer else key
    try:
        not_after = now + datetime.timedelta(days=days)
    except OverflowError:
        raise FuncError("error creating certificate: x509: invalid validity") from None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(secrets.randbelow(1 << 128) or 1)
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if is_ca:
        builder = builder.add_extension(_ski(key.public_key()), critical=False)
    if signer is not None:
        try:
            parent_ski = signer[0].extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier(parent_ski.value.digest, None, None), critical=False
            )
        except x509.ExtensionNotFound:
            pass
    if addrs or names:
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
        sans += [x509.IPAddress(a) for a in addrs]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    algo = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(signing_key, algo)
    check_deadline()
    cert_pem = S(cert.public_bytes(serialization.Encoding.PEM))
    return Certificate(cert_pem, _pem_for_key(key))


def _new_rsa() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_from_pem(text: str) -> Any:
    try:
        return _parse_private_key_pem(text)
    except FuncError as e:
        raise FuncError(f"parsing private key: {e}") from None


@go("string", "int", returns=(CERT_TYPE, "error"))
def genCA(cn: str, days: int) -> Certificate:
    return _create(cn, None, None, days, _new_rsa(), True, None)


@go("string", "int", "string", returns=(CERT_TYPE, "error"))
def genCAWithKey(cn: str, days: int, key: str) -> Certificate:
    return _create(cn, None, None, days, _key_from_pem(key), True, None)


@go("string", LIST, LIST, "int", returns=(CERT_TYPE, "error"))
def genSelfSignedCert(cn: str, ips: list[Any], dns: list[Any], days: int) -> Certificate:
    return _create(cn, ips, dns, days, _new_rsa(), False, None)


@go("string", LIST, LIST, "int", "string", returns=(CERT_TYPE, "error"))
def genSelfSignedCertWithKey(
    cn: str, ips: list[Any], dns: list[Any], days: int, key: str
) -> Certificate:
    return _create(cn, ips, dns, days, _key_from_pem(key), False, None)


def _signer(ca: Certificate) -> tuple[x509.Certificate, Any]:
    block, _ = pem.decode(B(ca.Cert))
    if block is None:
        raise FuncError("unable to decode certificate")
    try:
        cert = x509.load_der_x509_certificate(block.bytes)
    except Exception:
        raise FuncError(
            "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate"
        ) from None
    try:
        key = _parse_private_key_pem(ca.Key)
    except FuncError as e:
        raise FuncError(f"error parsing private key: {e}") from None
    return cert, key


@go("string", LIST, LIST, "int", CERT_TYPE, returns=(CERT_TYPE, "error"))
def genSignedCert(
    cn: str, ips: list[Any], dns: list[Any], days: int, ca: Certificate
) -> Certificate:
    key = _new_rsa()
    return _create(cn, ips, dns, days, key, False, _signer(ca))


@go("string", LIST, LIST, "int", CERT_TYPE, "string", returns=(CERT_TYPE, "error"))
def genSignedCertWithKey(
    cn: str, ips: list[Any], dns: list[Any], days: int, ca: Certificate, key: str
) -> Certificate:
    return _create(cn, ips, dns, days, _key_from_pem(key), False, _signer(ca))


@go("string", "string", returns=(CERT_TYPE, "error"))
def buildCustomCert(b64cert: str, b64key: str) -> Certificate:
    try:
        cert = go_b64decode(B(b64cert))
    except CorruptInput:
        raise FuncError("unable to decode base64 certificate") from None
    try:
        key = go_b64decode(B(b64key))
    except CorruptInput:
        raise FuncError("unable to decode base64 private key") from None
    block, _ = pem.decode(cert)
    if block is None:
        raise FuncError("unable to decode certificate")
    try:
        x509.load_der_x509_certificate(block.bytes)
    except Exception:
        raise FuncError(
            "error parsing certificate: decodedCert.Bytes: x509: malformed certificate"
        ) from None
    try:
        _parse_private_key_pem(S(key))
    except FuncError as e:
        raise FuncError(f"error parsing private key: {e}") from None
    return Certificate(S(cert), S(key))


# -- AES ----------------------------------------------------------------------------------------


def _aes_key(password: str) -> bytes:
    return (B(password) + bytes(32))[:32]


@go("string", "string", returns=("string", "error"))
def encryptAES(password: str, plaintext: str) -> str:
    if plaintext == "":
        return ""
    content = B(plaintext)
    check_size(len(content) * 2)
    pad = 16 - len(content) % 16
    iv = secrets.token_bytes(16)
    enc = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).encryptor()
    data = enc.update(content + bytes([pad]) * pad) + enc.finalize()
    return base64.b64encode(iv + data).decode("ascii")


@go("string", "string", returns=("string", "error"))
def decryptAES(password: str, crypt64: str) -> str:
    if crypt64 == "":
        return ""
    try:
        crypt = go_b64decode(B(crypt64))
    except CorruptInput as e:
        raise FuncError(str(e)) from None
    if len(crypt) < 16:
        raise FuncPanic(
            f"runtime error: slice bounds out of range [:16] with capacity {len(crypt)}"
        )
    iv, body = crypt[:16], crypt[16:]
    if len(body) % 16:
        raise FuncPanic("crypto/cipher: input not full blocks")
    dec = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).decryptor()
    plain = dec.update(body) + dec.finalize()
    if not plain:
        raise FuncPanic("runtime error: index out of range [-1]")
    cut = len(plain) - plain[-1]
    if cut < 0:
        raise FuncPanic(f"runtime error: slice bounds out of range [:{cut}]")
    return S(plain[:cut])


FUNCS = {
    "bcrypt": bcrypt,
    "htpasswd": htpasswd,
    "genPrivateKey": genPrivateKey,
    "derivePassword": derivePassword,
    "buildCustomCert": buildCustomCert,
    "genCA": genCA,
    "genCAWithKey": genCAWithKey,
    "genSelfSignedCert": genSelfSignedCert,
    "genSelfSignedCertWithKey": genSelfSignedCertWithKey,
    "genSignedCert": genSignedCert,
    "genSignedCertWithKey": genSignedCertWithKey,
    "encryptAES": encryptAES,
    "decryptAES": decryptAES,
    "randBytes": randBytes,
}
