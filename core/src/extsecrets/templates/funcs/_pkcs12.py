"""PKCS#12 as ESO's go-pkcs12 (v0.7) reads and writes it, on ``cryptography``'s primitives.

``decode_chain`` follows go-pkcs12's ``DecodeChain``: the first certificate bag is the
certificate, later ones are CA certificates, exactly one key bag, Go's error texts.
``encode``/``encode_trust_store`` follow its ``Modern`` (Modern2023) encoder: PBES2 with
PBKDF2-HMAC-SHA-256 and AES-256-CBC for keys and certificates, HMAC-SHA-256 MAC, 2048 iterations,
16-byte salts; the DER layout is go-pkcs12's (bag order, attributes, parameters without NULL),
so only the random salts and IVs differ from Go's output. ``cryptography``'s own PKCS#12 writer
refuses an empty password with encryption, which ESO's ``pemToPkcs12`` (no password) needs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from extsecrets.templates.errors import FuncPanic
from extsecrets.templates.limits import check_deadline

from . import _der as der
from ._rc2 import rc2_cbc_decrypt

__all__ = ["Pkcs12Error", "decode_chain", "encode", "encode_trust_store", "parse_pkcs8"]

OID_DATA = "1.2.840.113549.1.7.1"
OID_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
OID_KEY_BAG = "1.2.840.113549.1.12.10.1.1"
OID_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
OID_CERT_BAG = "1.2.840.113549.1.12.10.1.3"
OID_X509_CERT = "1.2.840.113549.1.9.22.1"
OID_LOCAL_KEY_ID = "1.2.840.113549.1.9.21"
OID_FRIENDLY_NAME = "1.2.840.113549.1.9.20"
OID_JAVA_TRUST_STORE = "2.16.840.1.113894.746875.1.1"
OID_ANY_EKU = "2.5.29.37.0"
OID_PBE_3DES = "1.2.840.113549.1.12.1.3"
OID_PBE_RC2_128 = "1.2.840.113549.1.12.1.5"
OID_PBE_RC2_40 = "1.2.840.113549.1.12.1.6"
OID_PBES2 = "1.2.840.113549.1.5.13"
OID_PBKDF2 = "1.2.840.113549.1.5.12"
OID_PBMAC1 = "1.2.840.113549.1.5.14"
OID_HMAC = {
    "1.2.840.113549.2.7": "sha1",
    "1.2.840.113549.2.9": "sha256",
    "1.2.840.113549.2.11": "sha512",
}
OID_HMAC_SHA256 = "1.2.840.113549.2.9"
OID_AES = {
    "2.16.840.1.101.3.4.1.2": 16,
    "2.16.840.1.101.3.4.1.22": 24,
    "2.16.840.1.101.3.4.1.42": 32,
}
OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
OID_DIGEST = {
    "1.3.14.3.2.26": ("sha1", 20, 64),
    "2.16.840.1.101.3.4.2.1": ("sha256", 32, 64),
    "2.16.840.1.101.3.4.2.3": ("sha512", 64, 128),
}
OID_SHA256 = "2.16.840.1.101.3.4.2.1"

# Sandbox: go-pkcs12 takes any iteration count; a tenant's file must not stall the operator
MAX_ITERATIONS = 2_000_000
ITERATIONS = 2048
SALT_LEN = 16


class Pkcs12Error(ValueError):
    """go-pkcs12's error; str() is its text."""


def _not_impl(msg: str) -> Pkcs12Error:
    return Pkcs12Error("pkcs12: " + msg)


# -- passwords ---------------------------------------------------------------------------------


def bmp_string(s: str) -> bytes:
    out = bytearray()
    for c in s:
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:  # an invalid byte: Go reads U+FFFD
            o = 0xFFFD
        if o >= 0x10000:
            raise Pkcs12Error("pkcs12: string contains characters that cannot be encoded in UCS-2")
        out += bytes([o >> 8, o & 0xFF])
    return bytes(out)


def _bmp_decode(b: bytes) -> bytes:
    """decodeBMPString, as UTF-8 bytes (the PBES2/PBMAC1 password)."""
    if len(b) % 2:
        raise Pkcs12Error("pkcs12: odd-length BMP string")
    if len(b) >= 2 and b[-2:] == b"\0\0":
        b = b[:-2]
    return b.decode("utf-16-be", "replace").encode("utf-8")


# -- key derivation ----------------------------------------------------------------------------


def _check_iterations(n: int) -> None:
    if n > MAX_ITERATIONS:
        raise Pkcs12Error(f"pkcs12: iteration count {n} exceeds the limit of {MAX_ITERATIONS}")


def _fill(pattern: bytes, v: int) -> bytes:
    if not pattern:
        return b""
    n = v * ((len(pattern) + v - 1) // v)
    return (pattern * ((n + len(pattern) - 1) // len(pattern)))[:n]


def pkcs12_kdf(
    hname: str, u: int, v: int, salt: bytes, password: bytes, r: int, ident: int, size: int
) -> bytes:
    """RFC 7292 appendix B key derivation (go-pkcs12's pbkdf)."""
    _check_iterations(r)
    d = bytes([ident]) * v
    i_buf = bytearray(_fill(salt, v) + _fill(password, v))
    c = (size + u - 1) // u
    a = bytearray()
    for i in range(c):
        ai = hashlib.new(hname, d + i_buf).digest()
        for j in range(1, r):
            ai = hashlib.new(hname, ai).digest()
            if j & 0x3FF == 0:
                check_deadline()
        a += ai
        if i < c - 1:
            bb = int.from_bytes((ai * (v // len(ai) + 1))[:v], "big")
            for j in range(len(i_buf) // v):
                ij = int.from_bytes(i_buf[j * v : (j + 1) * v], "big") + bb + 1
                i_buf[j * v : (j + 1) * v] = (ij & ((1 << (8 * v)) - 1)).to_bytes(v, "big")
    return bytes(a[:size])


def _pbkdf2(password: bytes, params: der.Tlv) -> tuple[bytes, int, str, int]:
    """PBKDF2 parameters: (salt, iterations, hash name, explicit key length or 0)."""
    kids = params.children()
    salt_t = kids[0]
    if salt_t.tag != der.OCTET_STRING:
        raise _not_impl("only octet string salts are supported for pbes2/pbkdf2")
    iterations = kids[1].integer()
    key_len = 0
    prf = "sha1"
    for k in kids[2:]:
        if k.tag == der.INTEGER:
            key_len = k.integer()
        elif k.tag == der.SEQUENCE:
            prf_oid = k.children()[0].oid()
            if prf_oid not in OID_HMAC:
                raise _not_impl(f"pbes2 prf {prf_oid} is not supported")
            prf = OID_HMAC[prf_oid]
    _check_iterations(iterations)
    return salt_t.content, iterations, prf, key_len


# -- decryption --------------------------------------------------------------------------------


def _cbc_decrypt(name: str, key: bytes, iv: bytes, data: bytes) -> bytes:
    if name == "rc2":
        return rc2_cbc_decrypt(key, iv, data)
    block = 8 if name == "3des" else 16
    if len(iv) != block:
        raise FuncPanic("cipher.NewCBCDecrypter: IV length must equal block size")
    algo = TripleDES(key) if name == "3des" else algorithms.AES(key)
    dec = Cipher(algo, modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def _pb_decrypt(alg: der.Tlv, data: bytes, password: bytes) -> bytes:
    kids = alg.children()
    alg_oid = kids[0].oid()
    params = kids[1] if len(kids) > 1 else None
    if alg_oid in (OID_PBE_3DES, OID_PBE_RC2_128, OID_PBE_RC2_40):
        if params is None:
            raise Pkcs12Error("asn1: syntax error: sequence truncated")
        p = params.children()
        salt, iterations = p[0].octets(), p[1].integer()
        key_len = {OID_PBE_3DES: 24, OID_PBE_RC2_128: 16, OID_PBE_RC2_40: 5}[alg_oid]
        key = pkcs12_kdf("sha1", 20, 64, salt, password, iterations, 1, key_len)
        iv = pkcs12_kdf("sha1", 20, 64, salt, password, iterations, 2, 8)
        name, block = ("3des", 8) if alg_oid == OID_PBE_3DES else ("rc2", 8)
    elif alg_oid == OID_PBES2:
        if params is None:
            raise Pkcs12Error("asn1: syntax error: sequence truncated")
        kdf, scheme = params.children()[:2]
        kdf_kids = kdf.children()
        if kdf_kids[0].oid() != OID_PBKDF2:
            raise _not_impl(f"pbes2 kdf algorithm {kdf_kids[0].oid()} is not supported")
        salt, iterations, prf, _ = _pbkdf2(_bmp_decode(password), kdf_kids[1])
        scheme_kids = scheme.children()
        scheme_oid = scheme_kids[0].oid()
        if scheme_oid not in OID_AES:
            raise _not_impl(f"pbes2 algorithm {scheme_oid} is not supported")
        key = hashlib.pbkdf2_hmac(prf, _bmp_decode(password), salt, iterations, OID_AES[scheme_oid])
        iv = scheme_kids[1].content if len(scheme_kids) > 1 else b""
        name, block = "aes", 16
    else:
        raise _not_impl(f"pbe algorithm {alg_oid} is not supported")
    if not data:
        raise Pkcs12Error("pkcs12: empty encrypted data")
    if len(data) % block:
        raise Pkcs12Error("pkcs12: input is not a multiple of the block size")
    plain = _cbc_decrypt(name, key, iv, data)
    pad = plain[-1]
    if pad == 0 or pad > block or plain[-pad:] != bytes([pad]) * pad:
        raise Pkcs12Error("pkcs12: decryption error, incorrect padding")
    return plain[:-pad]


def _mac(mac_data: der.Tlv, message: bytes, password: bytes) -> tuple[bytes, bytes]:
    """(expected digest, computed digest) of a MacData."""
    kids = mac_data.children()
    digest_info = kids[0].children()
    alg = digest_info[0].children()
    alg_oid = alg[0].oid()
    expected = digest_info[1].octets()
    if alg_oid == OID_PBMAC1:
        params = alg[1].children()
        kdf = params[0].children()
        if kdf[0].oid() != OID_PBKDF2:
            raise _not_impl(f"PBMAC1 KDF algorithm {kdf[0].oid()} is not supported")
        salt, iterations, prf, key_len = _pbkdf2(b"", kdf[1])
        mac_alg = params[1].children()[0].oid()
        if mac_alg not in OID_HMAC:
            raise _not_impl(f"PBMAC1 MAC algorithm {mac_alg} is not supported")
        if key_len <= 0:
            raise Pkcs12Error(
                "pkcs12: PBMAC1 requires explicit KeyLength parameter in PBKDF2 parameters"
            )
        key = hashlib.pbkdf2_hmac(prf, _bmp_decode(password), salt, iterations, key_len)
        return expected, hmac.new(key, message, OID_HMAC[mac_alg]).digest()
    if alg_oid not in OID_DIGEST:
        raise _not_impl(f"MAC digest algorithm not supported: {alg_oid}")
    hname, u, v = OID_DIGEST[alg_oid]
    salt = kids[1].octets()
    iterations = kids[2].integer() if len(kids) > 2 else 1
    key = pkcs12_kdf(hname, u, v, salt, password, iterations, 3, u)
    return expected, hmac.new(key, message, hname).digest()


def _content_info(t: der.Tlv) -> tuple[str, der.Tlv | None]:
    kids = t.children()
    ctype = kids[0].oid()
    content = None
    if len(kids) > 1:
        if kids[1].tag != 0xA0:
            raise Pkcs12Error("asn1: structure error: tags don't match")
        content = der.read_one(kids[1].content)
    return ctype, content


def _safe_contents(data: bytes, password: bytes, lo: int, hi: int) -> tuple[list[der.Tlv], bytes]:
    try:
        pfx = der.read_one(data)
        pfx_kids = pfx.children()
        version = pfx_kids[0].integer()
        auth_safe = pfx_kids[1]
        mac_data = pfx_kids[2] if len(pfx_kids) > 2 else None
    except (der.Asn1Error, IndexError) as e:
        raise Pkcs12Error(f"pkcs12: error reading P12 data: {e or 'asn1: syntax error'}") from None
    if version != 3:
        raise _not_impl("can only decode v3 PFX PDU's")
    ctype, content = _content_info(auth_safe)
    if ctype != OID_DATA or content is None:
        raise _not_impl("only password-protected PFX is implemented")
    auth_bytes = content.octets()
    if mac_data is None:
        if password != b"\0\0":
            raise Pkcs12Error("pkcs12: no MAC in data")
    else:
        expected, got = _mac(mac_data, auth_bytes, password)
        if not hmac.compare_digest(expected, got) and password == b"\0\0":
            # some writers use an empty byte string for the empty password
            password = b""
            expected, got = _mac(mac_data, auth_bytes, password)
        if not hmac.compare_digest(expected, got):
            raise Pkcs12Error("pkcs12: decryption password incorrect")
    safes = der.read_one(auth_bytes).children()
    if not lo <= len(safes) <= hi:
        if lo == hi:
            raise _not_impl(
                f"expected exactly {lo} items in the authenticated safe, "
                f"but this file has {len(safes)}"
            )
        raise _not_impl(
            f"expected between {lo} and {hi} items in the authenticated safe, "
            f"but this file has {len(safes)}"
        )
    bags: list[der.Tlv] = []
    for ci in safes:
        ctype, content = _content_info(ci)
        if ctype == OID_DATA and content is not None:
            plain = content.octets()
        elif ctype == OID_ENCRYPTED_DATA and content is not None:
            ed = content.children()
            if ed[0].integer() != 0:
                raise _not_impl("only version 0 of EncryptedData is supported")
            eci = ed[1].children()
            encrypted = eci[2].content if len(eci) > 2 and eci[2].tag == 0x80 else b""
            plain = _pb_decrypt(eci[1], encrypted, password)
        else:
            raise _not_impl(
                "only data and encryptedData content types are supported in authenticated safe"
            )
        bags.extend(der.read_one(plain).children())
    return bags, password


_GO_CURVES = (ec.SECP224R1, ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


def go_supported_key(key: Any) -> bool:
    """A private key Go's crypto/x509 handles (RSA, NIST P curves, Ed25519, X25519)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return isinstance(key.curve, _GO_CURVES)
    return isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey)


def parse_pkcs8(data: bytes) -> Any:
    """x509.ParsePKCS8PrivateKey; Pkcs12Error with Go's text for what Go refuses."""
    try:
        kids = der.read_one(data).children()
        if len(kids) < 3 or kids[1].tag != der.SEQUENCE:
            raise der.Asn1Error("")
        key = serialization.load_der_private_key(data, None)
    except Exception:
        raise Pkcs12Error(
            "x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key "
            "format)"
        ) from None
    if not go_supported_key(key):
        raise Pkcs12Error("x509: PKCS#8 wrapping contained private key with unknown algorithm")
    return key


def _parse_certs(data: bytes) -> list[x509.Certificate]:
    try:
        return [x509.load_der_x509_certificate(t.raw) for t in der.read_all(data)]
    except Exception:
        raise Pkcs12Error("x509: malformed certificate") from None


def decode_chain(
    data: bytes, password: str
) -> tuple[Any, x509.Certificate, list[x509.Certificate]]:
    """go-pkcs12's DecodeChain: (private key, certificate, CA certificates)."""
    pw = bmp_string(password) + b"\0\0"
    try:
        bags, pw = _safe_contents(data, pw, 1, 2)
        key: Any = None
        cert: x509.Certificate | None = None
        cas: list[x509.Certificate] = []
        for bag in bags:
            kids = bag.children()
            bag_id = kids[0].oid()
            value = der.read_one(kids[1].content) if len(kids) > 1 else None
            if value is None:
                continue
            if bag_id == OID_CERT_BAG:
                cb = value.children()
                if cb[0].oid() != OID_X509_CERT:
                    raise _not_impl("only X509 certificates are supported in cert bags")
                certs = _parse_certs(der.read_one(cb[1].content).octets())
                if len(certs) != 1:
                    raise Pkcs12Error("pkcs12: expected exactly one certificate in the certBag")
                if cert is None:
                    cert = certs[0]
                else:
                    cas.append(certs[0])
            elif bag_id == OID_KEY_BAG:
                if key is not None:
                    raise Pkcs12Error("pkcs12: expected exactly one key bag")
                key = parse_pkcs8(value.raw)
            elif bag_id == OID_SHROUDED_KEY_BAG:
                if key is not None:
                    raise Pkcs12Error("pkcs12: expected exactly one key bag")
                key = _shrouded_key(value, pw)
    except der.Asn1Error as e:
        raise Pkcs12Error(str(e)) from None
    if cert is None:
        raise Pkcs12Error("pkcs12: certificate missing")
    if key is None:
        raise Pkcs12Error("pkcs12: private key missing")
    return key, cert, cas


def _shrouded_key(value: der.Tlv, password: bytes) -> Any:
    try:
        info = value.children()
        alg, encrypted = info[0], info[1].octets()
    except (der.Asn1Error, IndexError) as e:
        raise Pkcs12Error(f"pkcs12: error decoding PKCS#8 shrouded key bag: {e}") from None
    try:
        plain = _pb_decrypt(alg, encrypted, password)
    except Pkcs12Error as e:
        raise Pkcs12Error(f"pkcs12: error decrypting PKCS#8 shrouded key bag: {e}") from None
    try:
        der.read_one(plain)
    except der.Asn1Error as e:
        raise Pkcs12Error(f"pkcs12: error unmarshaling decrypted private key: {e}") from None
    try:
        return parse_pkcs8(plain)
    except Pkcs12Error as e:
        raise Pkcs12Error(f"pkcs12: error parsing PKCS#8 private key: {e}") from None


# -- encoding (Modern2023) ---------------------------------------------------------------------


def _alg(oid: str, params: bytes = b"") -> bytes:
    return der.seq(der.oid(oid), params)


def _pbes2_encrypt(plain: bytes, password: bytes) -> tuple[bytes, bytes]:
    """(AlgorithmIdentifier, ciphertext) for PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC."""
    salt = secrets.token_bytes(SALT_LEN)
    iv = secrets.token_bytes(16)
    pw = _bmp_decode(password)
    key = hashlib.pbkdf2_hmac("sha256", pw, salt, ITERATIONS, 32)
    kdf_params = der.seq(der.octets(salt), der.integer(ITERATIONS), _alg(OID_HMAC_SHA256))
    params = der.seq(_alg(OID_PBKDF2, kdf_params), _alg(OID_AES256_CBC, der.octets(iv)))
    pad = 16 - len(plain) % 16
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    data = enc.update(plain + bytes([pad]) * pad) + enc.finalize()
    return _alg(OID_PBES2, params), data


def _bag(bag_oid: str, value: bytes, attributes: list[bytes] | None) -> bytes:
    parts = [der.oid(bag_oid), der.explicit(0, value)]
    if attributes is not None:
        parts.append(der.set_of(*attributes))
    return der.seq(*parts)


def _cert_bag(cert_der: bytes, attributes: list[bytes] | None) -> bytes:
    value = der.seq(der.oid(OID_X509_CERT), der.explicit(0, der.octets(cert_der)))
    return _bag(OID_CERT_BAG, value, attributes)


def _attribute(oid: str, value: bytes) -> bytes:
    return der.seq(der.oid(oid), der.enc(der.SET, value))


def _safe(bags: list[bytes], password: bytes | None) -> bytes:
    data = der.seq(*bags)
    if password is None:
        return der.seq(der.oid(OID_DATA), der.explicit(0, der.octets(data)))
    alg, encrypted = _pbes2_encrypt(data, password)
    encrypted_data = der.seq(
        der.integer(0), der.seq(der.oid(OID_DATA), alg, der.enc(0x80, encrypted))
    )
    return der.seq(der.oid(OID_ENCRYPTED_DATA), der.explicit(0, encrypted_data))


def _pfx(safes: list[bytes], password: bytes) -> bytes:
    auth = der.seq(*safes)
    salt = secrets.token_bytes(SALT_LEN)
    key = pkcs12_kdf("sha256", 32, 64, salt, password, ITERATIONS, 3, 32)
    digest = hmac.new(key, auth, "sha256").digest()
    mac = der.seq(
        der.seq(_alg(OID_SHA256), der.octets(digest)), der.octets(salt), der.integer(ITERATIONS)
    )
    auth_safe = der.seq(der.oid(OID_DATA), der.explicit(0, der.octets(auth)))
    return der.seq(der.integer(3), auth_safe, mac)


def encode(key: Any, cert: x509.Certificate, cas: list[x509.Certificate], password: str) -> bytes:
    """go-pkcs12 Modern.Encode(key, cert, cas, password)."""
    pw = bmp_string(password) + b"\0\0"
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    fingerprint = cert.fingerprint(hashes.SHA1())
    local_key_id = _attribute(OID_LOCAL_KEY_ID, der.octets(fingerprint))
    cert_bags = [_cert_bag(cert_der, [local_key_id])]
    cert_bags += [_cert_bag(ca.public_bytes(serialization.Encoding.DER), []) for ca in cas]
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    alg, encrypted = _pbes2_encrypt(pkcs8, pw)
    key_bag = _bag(OID_SHROUDED_KEY_BAG, der.seq(alg, der.octets(encrypted)), [local_key_id])
    return _pfx([_safe(cert_bags, pw), _safe([key_bag], None)], pw)


def encode_trust_store(certs: list[tuple[x509.Certificate, str]], password: str) -> bytes:
    """go-pkcs12 Modern.EncodeTrustStoreEntries: (certificate, friendly name) pairs."""
    pw = bmp_string(password) + b"\0\0"
    trusted = _attribute(OID_JAVA_TRUST_STORE, der.oid(OID_ANY_EKU))
    bags = []
    for cert, name in certs:
        friendly = _attribute(OID_FRIENDLY_NAME, der.enc(der.BMP_STRING, bmp_string(name)))
        bags.append(_cert_bag(cert.public_bytes(serialization.Encoding.DER), [trusted, friendly]))
    return _pfx([_safe(bags, pw)], pw)
