"""ESO's own template functions for keys and certificates: pkcs12.go, pem.go, pem_chain.go,
jwk.go and decrypt.go of runtime/template/v2.

Inputs and outputs are Go strings (bytes); PEM is Go's encoding/pem, PKCS#12 is go-pkcs12's
(:mod:`._pkcs12`), JWKs are read with PyJWT (ESO uses lestrrat-go/jwx).
"""

from __future__ import annotations

import base64
import ipaddress
import json
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, x25519
from jwt import algorithms as jwa
from jwt.exceptions import InvalidKeyError

from extsecrets.templates.errors import FuncError, FuncPanic
from extsecrets.templates.values import GoSlice

from . import _gopem as pem
from . import _pkcs12 as p12
from ._go import B, S
from ._model import NIL_DEREF
from .signature import go

__all__ = ["FUNCS"]

CERTIFICATE = "CERTIFICATE"
PRIVATE_KEY = "PRIVATE KEY"


def _pem(data: bytes, kind: str) -> bytes:
    return pem.encode(pem.Block(kind, data))


def _x509(data: bytes) -> x509.Certificate:
    """x509.ParseCertificate; FuncError with Go's text when it fails."""
    try:
        return x509.load_der_x509_certificate(data)
    except Exception:
        raise FuncError("x509: malformed certificate") from None


def _der(obj: Any) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.DER)
    return bytes(
        obj.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def parse_private_key(data: bytes) -> Any:
    """ESO's parsePrivateKey (PKCS#1, then PKCS#8, then SEC 1 EC): the key Go would return."""
    try:
        key = serialization.load_der_private_key(data, None)
    except Exception:
        raise FuncError("unable to parse private key type") from None
    if not p12.go_supported_key(key) or (
        isinstance(key, rsa.RSAPrivateKey) and key.key_size < 1024
    ):
        # Go (1.24+) refuses RSA keys under 1024 bits, and knows no DSA, Ed448 or other curves
        raise FuncError("unable to parse private key type")
    return key


# -- PKCS#12 ------------------------------------------------------------------------------------


@go("string", "string", returns=("string", "error"))
def pkcs12keyPass(password: str, data: str) -> str:
    try:
        key, _, _ = p12.decode_chain(B(data), password)
    except p12.Pkcs12Error as e:
        raise FuncError(f"unable to decode pkcs12 with password: {e}") from None
    return S(_pem(_der(key), PRIVATE_KEY))


@go("string", returns=("string", "error"))
def pkcs12key(data: str) -> str:
    return pkcs12keyPass("", data)


@go("string", "string", returns=("string", "error"))
def pkcs12certPass(password: str, data: str) -> str:
    try:
        _, cert, cas = p12.decode_chain(B(data), password)
    except p12.Pkcs12Error as e:
        raise FuncError(f"unable to decode pkcs12 certificate with password: {e}") from None
    pem_data = b"".join(_pem(_der(c), CERTIFICATE) for c in [cert, *cas])
    try:
        return S(b"".join(_pem(_der(c), CERTIFICATE) for c in _chain(pem_data)))
    except FuncError:
        # ESO returns the bags' order when no single chain can be built
        return S(pem_data)


@go("string", returns=("string", "error"))
def pkcs12cert(data: str) -> str:
    return pkcs12certPass("", data)


def _first_block(data: str) -> tuple[pem.Block, bytes]:
    block, rest = pem.decode(B(data))
    if block is None:
        # ESO reads .Bytes of the nil block Go's pem.Decode returns
        raise FuncPanic(NIL_DEREF)
    return block, rest


def _ca_certs(rest: bytes) -> list[x509.Certificate]:
    certs = []
    while rest:
        block, rest = pem.decode(rest)
        if block is None:
            raise FuncPanic(NIL_DEREF)
        certs.append(_x509(block.bytes))
    return certs


def _to_pkcs12(cert: x509.Certificate, key: str, cas: list[x509.Certificate], pw: str) -> str:
    block, _ = _first_block(key)
    parsed = parse_private_key(block.bytes)
    try:
        data = p12.encode(parsed, cert, cas, pw)
    except p12.Pkcs12Error as e:
        raise FuncError(str(e)) from None
    return base64.b64encode(data).decode("ascii")


@go("string", "string", "string", returns=("string", "error"))
def pemToPkcs12Pass(cert: str, key: str, password: str) -> str:
    block, _ = _first_block(cert)
    return _to_pkcs12(_x509(block.bytes), key, [], password)


@go("string", "string", returns=("string", "error"))
def pemToPkcs12(cert: str, key: str) -> str:
    return pemToPkcs12Pass(cert, key, "")


@go("string", "string", "string", returns=("string", "error"))
def fullPemToPkcs12Pass(cert: str, key: str, password: str) -> str:
    block, rest = _first_block(cert)
    leaf = _x509(block.bytes)
    return _to_pkcs12(leaf, key, _ca_certs(rest), password)


@go("string", "string", returns=("string", "error"))
def fullPemToPkcs12(cert: str, key: str) -> str:
    return fullPemToPkcs12Pass(cert, key, "")


@go("string", "string", returns=("string", "error"))
def pemTruststoreToPKCS12Pass(certs: str, password: str) -> str:
    entries = [(c, go_name_string(c.subject)) for c in _ca_certs(B(certs))]
    try:
        data = p12.encode_trust_store(entries, password)
    except p12.Pkcs12Error as e:
        raise FuncError(str(e)) from None
    return base64.b64encode(data).decode("ascii")


@go("string", returns=("string", "error"))
def pemTruststoreToPKCS12(certs: str) -> str:
    return pemTruststoreToPKCS12Pass(certs, "")


# pkix.Name.String(): the standard attributes in Go's fixed order, then the others
_NAME_ORDER = [
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
]


def _escape_rdn(value: str) -> str:
    out = []
    for k, c in enumerate(value):
        esc = c in ',+"\\<>;' or (c == " " and k in (0, len(value) - 1)) or (c == "#" and k == 0)
        out.append("\\" + c if esc else c)
    return "".join(out)


_PRINTABLE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")


def _go_asn1_string(value: str) -> bytes:
    """asn1.Marshal of a Go string: PrintableString when it can be, else UTF8String."""
    from ._der import enc

    tag = 0x13 if all(c in _PRINTABLE for c in value) else 0x0C
    return enc(tag, B(value))


def go_name_string(name: x509.Name) -> str:
    """Go's pkix.Name.String() of a certificate subject: the standard attributes in Go's fixed
    order, reversed, then the others as OID=#hex (RFC 2253 escaping)."""
    std: list[str] = []
    for oid, short in _NAME_ORDER:
        vals = [str(a.value) for a in name if a.oid.dotted_string == oid]
        if vals:
            std.append("+".join(f"{short}={_escape_rdn(v)}" for v in vals))
    known = {oid for oid, _ in _NAME_ORDER}
    extra = [
        f"{a.oid.dotted_string}=#{_go_asn1_string(str(a.value)).hex()}"
        for a in name
        if a.oid.dotted_string not in known
    ]
    return ",".join([*reversed(std), *reversed(extra)])


# -- PEM filtering and chains -------------------------------------------------------------------


def _trim_junk(s: bytes) -> bytes:
    i = s.find(b"-----BEGIN")
    return s if i < 0 else s[i:]


@go("string", "string", returns=("string", "error"))
def filterPEM(pem_type: str, data: str) -> str:
    rest = _trim_junk(B(data))
    out = bytearray()
    want = pem_type.casefold()
    while True:
        block, rest = pem.decode(rest)
        if block is None:
            break
        if block.type.casefold() == want:
            out += pem.encode(block)
    if not out and rest:
        raise FuncError("error filtering pem: found junk")
    return S(bytes(out))


def _ski(c: x509.Certificate) -> bytes:
    try:
        return c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return b""


def _aki(c: x509.Certificate) -> bytes | None:
    try:
        ext = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return None
    return ext.key_identifier


def _chain(data: bytes) -> list[x509.Certificate]:
    """ESO's fetchX509CertChains: leaf, parent, ... by AKI/SKI (Go's nil equals empty)."""
    certs = []
    rest = data
    while True:
        block, rest = pem.decode(rest)
        if block is None:
            break
        certs.append(_x509(block.bytes))
    n = len(certs)
    parent: list[int | None] = [None] * n
    is_parent = [False] * n
    for i in range(n):
        for j in range(n):
            if i != j and (_aki(certs[i]) or b"") == _ski(certs[j]):
                is_parent[j] = True
                parent[i] = j
                break
    leaf = None
    for i in range(n):
        if not is_parent[i]:
            if leaf is not None:
                raise FuncError("found multiple leaf or disjunct certificates")
            leaf = i
    if leaf is None:
        raise FuncError("no leaf certificate found")
    chain: list[x509.Certificate] = []
    node: int | None = leaf
    while node is not None:
        if len(chain) >= n:
            raise FuncError("constructing chain resulted in cycle")
        chain.append(certs[node])
        node = parent[node]
    return chain


def _is_root(c: x509.Certificate) -> bool:
    aki = _aki(c)
    return aki is None or aki == _ski(c)


@go("string", "string", returns=("string", "error"))
def filterCertChain(cert_type: str, data: str) -> str:
    ordered = _chain(B(data))
    if cert_type == "leaf":
        c = ordered[0]
        aki = _aki(c)
        if aki is not None and aki != _ski(c):
            return S(_pem(_der(c), CERTIFICATE))
    elif cert_type == "intermediate":
        if len(ordered) < 2:
            return ""
        out = bytearray()
        for c in ordered[1:]:
            if _is_root(c):
                break
            out += _pem(_der(c), CERTIFICATE)
        return S(bytes(out))
    elif cert_type == "root":
        c = ordered[-1]
        if _is_root(c):
            return S(_pem(_der(c), CERTIFICATE))
    return ""


def _ip_string(ip: Any) -> str:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


@go("string", returns=("[]string", "error"))
def certSANs(data: str) -> GoSlice:
    block, _ = pem.decode(_trim_junk(B(data)))
    if block is None:
        raise FuncError("failed to decode PEM block")
    try:
        cert = x509.load_der_x509_certificate(block.bytes)
    except Exception:
        raise FuncError("failed to parse certificate: x509: malformed certificate") from None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return GoSlice([], elem="string")
    except Exception:
        raise FuncError("failed to parse certificate: x509: malformed extension") from None
    out: list[str] = []
    out += san.get_values_for_type(x509.DNSName)
    out += [_ip_string(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    out += san.get_values_for_type(x509.RFC822Name)
    out += san.get_values_for_type(x509.UniformResourceIdentifier)
    return GoSlice(out, elem="string")


# -- JWK ----------------------------------------------------------------------------------------

_GO_TYPE = {
    rsa.RSAPrivateKey: "*rsa.PrivateKey",
    rsa.RSAPublicKey: "*rsa.PublicKey",
    ec.EllipticCurvePrivateKey: "*ecdsa.PrivateKey",
    ec.EllipticCurvePublicKey: "*ecdsa.PublicKey",
    ed25519.Ed25519PrivateKey: "ed25519.PrivateKey",
    ed25519.Ed25519PublicKey: "ed25519.PublicKey",
    x25519.X25519PrivateKey: "x25519.PrivateKey",
    x25519.X25519PublicKey: "x25519.PublicKey",
}


def _go_type(key: Any) -> str:
    for cls, name in _GO_TYPE.items():
        if isinstance(key, cls):
            return name
    return "[]uint8"


def _parse_jwk(text: str) -> Any:
    """jwk.ParseKey + Raw: the cryptography key (or bytes for an "oct" key)."""
    try:
        obj = json.loads(B(text))
    except ValueError as e:
        raise FuncError(f"failed to unmarshal JSON into key hint: {e}") from None
    if not isinstance(obj, dict):
        raise FuncError("failed to unmarshal JSON into key hint: not an object")
    kty = obj.get("kty")
    readers: dict[str, Any] = {
        "RSA": jwa.RSAAlgorithm,
        "EC": jwa.ECAlgorithm,
        "OKP": jwa.OKPAlgorithm,
        "oct": jwa.HMACAlgorithm,
    }
    if kty not in readers:
        raise FuncError(f'invalid key type from JSON ("{kty}")')
    try:
        return readers[kty].from_jwk(obj)
    except (InvalidKeyError, ValueError, TypeError, KeyError) as e:
        raise FuncError(f"failed to parse key: {e}") from None


@go("string", returns=("string", "error"))
def jwkPublicKeyPem(text: str) -> str:
    key = _parse_jwk(text)
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise FuncError(f"x509: unsupported public key type: {_go_type(key)}")
    der_bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return S(_pem(der_bytes, "PUBLIC KEY"))


@go("string", returns=("string", "error"))
def jwkPrivateKeyPem(text: str) -> str:
    key = _parse_jwk(text)
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise FuncError(f"x509: unknown key type while marshaling PKCS#8: {_go_type(key)}")
    return S(_pem(_der(key), PRIVATE_KEY))


# -- rsaDecrypt ---------------------------------------------------------------------------------


def _oaep_hash(name: str) -> hashes.HashAlgorithm:
    if name == "SHA1":
        return hashes.SHA1()
    if name == "SHA512":
        return hashes.SHA512()
    return hashes.SHA256()  # "SHA256", "None" and anything else


@go("string", "string", "string", "string", returns=("string", "error"))
def rsaDecrypt(scheme: str, hash_name: str, ciphertext: str, private_key: str) -> str:
    if scheme == "None":
        return ciphertext
    if scheme != "RSA-OAEP":
        raise FuncError(f"decryption scheme {scheme} is not supported")
    block, _ = pem.decode(B(private_key))
    if block is None:
        raise FuncError("failed to decode PEM block")
    try:
        key = parse_private_key(block.bytes)
    except FuncError as e:
        raise FuncError(f"could not parse private key: {e}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise FuncError("could not parse RSA private key")
    h = _oaep_hash(hash_name)
    try:
        plain = key.decrypt(
            B(ciphertext), padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None)
        )
    except ValueError:
        raise FuncError("error decrypting data with RSA: crypto/rsa: decryption error") from None
    return S(plain)


FUNCS = {
    "pkcs12key": pkcs12key,
    "pkcs12keyPass": pkcs12keyPass,
    "pkcs12cert": pkcs12cert,
    "pkcs12certPass": pkcs12certPass,
    "pemToPkcs12": pemToPkcs12,
    "pemToPkcs12Pass": pemToPkcs12Pass,
    "fullPemToPkcs12": fullPemToPkcs12,
    "fullPemToPkcs12Pass": fullPemToPkcs12Pass,
    "pemTruststoreToPKCS12": pemTruststoreToPKCS12,
    "pemTruststoreToPKCS12Pass": pemTruststoreToPKCS12Pass,
    "filterPEM": filterPEM,
    "filterCertChain": filterCertChain,
    "certSANs": certSANs,
    "jwkPublicKeyPem": jwkPublicKeyPem,
    "jwkPrivateKeyPem": jwkPrivateKeyPem,
    "rsaDecrypt": rsaDecrypt,
}
