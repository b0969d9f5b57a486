"""ESO's own functions: PKCS#12, PEM filtering, chains, SANs, JWKs, rsaDecrypt. Expected values
from ESO's template tests (spec cases 17-22, 25-27, 37-45) and go-pkcs12's documented behaviour;
PKCS#12 files to read are made by independent encoders (``cryptography``/OpenSSL), ours are
checked by decoding them with ``cryptography``."""

from __future__ import annotations

import base64
import contextlib
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from extsecrets.templates.errors import FuncError, FuncPanic
from extsecrets.templates.funcs import FUNCS
from extsecrets.templates.funcs import _der as der
from extsecrets.templates.funcs import _pkcs12 as p12_internal
from extsecrets.templates.values import from_go_bytes

NIL_DEREF = "runtime error: invalid memory address or nil pointer dereference"


def call(name: str, *args: Any) -> Any:
    return FUNCS[name](*args)


def p12(key: Any, cert: Any, cas: list[Any], password: bytes, pbes: Any = None) -> str:
    """A PKCS#12 file from OpenSSL (through cryptography), as the Go string b64dec gives."""
    if not password:
        enc: Any = serialization.NoEncryption()
    else:
        builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2048)
        if pbes is not None:
            builder = builder.key_cert_algorithm(pbes)
        enc = builder.build(password)
    data = pkcs12.serialize_key_and_certificates(None, key, cert, cas or None, enc)
    return from_go_bytes(data)


# OpenSSL 3 `pkcs12 -export -legacy` (certificates with pbeWithSHA1And40BitRC2-CBC, the key
# with 3DES, SHA-1 MAC), password "legacy", and its key and certificate
LEGACY_P12 = (
    "MIIDegIBAzCCA0AGCSqGSIb3DQEHAaCCAzEEggMtMIIDKTCCAh8GCSqGSIb3DQEHBqCCAhAwggIMAgEAMIICBQYJKoZI"
    "hvcNAQcBMBwGCiqGSIb3DQEMAQYwDgQIVLQq+TvLgGQCAggAgIIB2J5bDBIBiV8Uj5FpXeyqwvB5lH4nVlRWYyHR5QX"
    "DpBZPEewQX6rOtqMMiU9ZTa7q18P+L+z0asXwMSf2F551BY/YsGeNdw4JU3sSzaCZEkJsp5Y9q34jDTxvL30V2/ymq9e"
    "didsOOUgnxU2lTuHieesoOPo2ocsoOxDqzlWveLm0SHZxTu+gM1XuRzQpqgiiZz8jPNCIA/kWiZdRX3moPGRgHIOi1F3"
    "fML+7PlQxcW5JViXUec+hszDpgkKrgk2UVV85apVGbWyJQ47EpXr74HUyTvFYkQszOmcGh+pRGq7i0UOJwHdiEFqzhBY"
    "Au8RDn/xdnXggVhu3WERnMNmYNZJWSWLaYcJdRwEG+PU2gs5EwjTdEVrTCUvBGptNpPYH0BnMI4EAAo2ofbEWohAH1oV"
    "hwOdr/kn7EZvJMEcwe4XXLmeSoVnn290PoxJWQ1W9QPfNUSsFlceb9MyQbsMLZQ0tU2gF16d+7+yLoLgLxbcc6GVqemk"
    "OVEJG8Hq10eEk09/WpgAZdxfo3tM2egZ5RIzqLCC+4JLnuFZ8Wr1RHso7WnV6Xa32mzYfPA7uZogea7HkkXFXQpw6Brp"
    "8VKYgMR3z0R4McAYXikUULwDSmcn2mhda02F7jBgwggECBgkqhkiG9w0BBwGggfQEgfEwge4wgesGCyqGSIb3DQEMCgE"
    "CoIG0MIGxMBwGCiqGSIb3DQEMAQMwDgQIOgSiGwivimgCAggABIGQ7zCmY4jgWzDpTIwjQ3sWGE9NQ2DT1Q4c6tqIQzgS"
    "lFqXJByv0G2xB+Cv9NcgXb7FmFZM2l4rOyNmSjHzZRE6yFSH/VEEIc4ufJmPEMgt49jAUAj03k2s9esLT5f/nZxXSllh5"
    "N4KeooJjEhUlcG9hIaE0M8HqzrIi1uwIrA6k0VfajByu6ilLdz6KjiQCr3HMSUwIwYJKoZIhvcNAQkVMRYEFALM/NuwnJ"
    "g8vApLHALtkKHNynU1MDEwITAJBgUrDgMCGgUABBT0YA4rkLwvhWS0eHAleWT1bbjhMgQId0qDmn2gBlECAggA"
)
LEGACY_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdYETlshhqFNkDKab\n"
    "+ovKAqCEuapUF290akHf5iGVP1ihRANCAARgg7OJMfeBKrCV9kp15BjGNB4VVCGF\n"
    "Gx69JeupYYqy7hfX5JSBAEVMRn2YeUEIdM6rifHIRMxuHR/aPKzIT8e3\n"
    "-----END PRIVATE KEY-----\n"
)
LEGACY_CERT = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdzCCAR2gAwIBAgIUZIy0kH+NSVH8wFQxg8AjxAMd3t8wCgYIKoZIzj0EAwIw\n"
    "ETEPMA0GA1UEAwwGbGVnYWN5MB4XDTI2MTEyOTEyMzY0MloXDTM2MTEyNjEyMzY0\n"
    "MlowETEPMA0GA1UEAwwGbGVnYWN5MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
    "YIOziTH3gSqwlfZKdeQYxjQeFVQhhRsevSXrqWGKsu4X1+SUgQBFTEZ9mHlBCHTO\n"
    "q4nxyETMbh0f2jysyE/Ht6NTMFEwHQYDVR0OBBYEFOnmpYaGhpVBbz5eW/8vXZ4W\n"
    "acCeMB8GA1UdIwQYMBaAFOnmpYaGhpVBbz5eW/8vXZ4WacCeMA8GA1UdEwEB/wQF\n"
    "MAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgJcp27eHWEzhVBs4q/US98JHjOxavsJCS\n"
    "tYHdROX7gT8CIQCQe5zMwWb4+JEYB0nMQVmdYBAsVLhHYIEFjQSKCnpysw==\n"
    "-----END CERTIFICATE-----\n"
)


def test_pkcs12_legacy_rc2_and_3des() -> None:
    data = call("b64dec", LEGACY_P12)
    assert call("pkcs12keyPass", "legacy", data) == LEGACY_KEY
    assert call("pkcs12certPass", "legacy", data) == LEGACY_CERT
    with pytest.raises(FuncError) as err:
        call("pkcs12keyPass", "wrong", data)
    assert str(err.value) == (
        "unable to decode pkcs12 with password: pkcs12: decryption password incorrect"
    )


@pytest.mark.parametrize("mode", ["none", "pbes2", "3des"])
def test_pkcs12_key_and_cert(chain: Any, pki: Any, mode: str) -> None:
    # spec cases 17-19: the key as PKCS#8, the certificate PEM, errors for a wrong password
    password = b"" if mode == "none" else b"123456"
    pbes = {
        "none": None,
        "pbes2": pkcs12.PBES.PBESv2SHA256AndAES256CBC,
        "3des": pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC,
    }[mode]
    data = p12(chain.leaf_key, chain.leaf, [], password, pbes)
    pw = password.decode()
    key_pem = call("pkcs12keyPass", pw, data)
    assert key_pem == pki.pem_pkcs8(chain.leaf_key)
    assert call("pkcs12certPass", pw, data) == pki.pem_cert(chain.leaf)
    if not pw:
        assert call("pkcs12key", data) == key_pem
        assert call("pkcs12cert", data) == pki.pem_cert(chain.leaf)
    else:
        with pytest.raises(FuncError) as err:
            call("pkcs12certPass", "wrong", data)
        assert str(err.value) == (
            "unable to decode pkcs12 certificate with password: "
            "pkcs12: decryption password incorrect"
        )


def test_pkcs12_cert_orders_the_chain(chain: Any, pki: Any) -> None:
    # case 37: bags leaf, root, intermediate come back leaf -> intermediate -> root
    data = p12(chain.leaf_key, chain.leaf, [chain.root, chain.intermediate], b"1234")
    want = pki.pem_cert(chain.leaf) + pki.pem_cert(chain.intermediate) + pki.pem_cert(chain.root)
    assert call("pkcs12certPass", "1234", data) == want


def test_pkcs12_cert_disjunct_keeps_bag_order(chain: Any, pki: Any) -> None:
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = pki.make_cert("disjunct-root-ca", other_key, ca=True)
    data = p12(chain.leaf_key, chain.leaf, [chain.root, chain.intermediate, other], b"x")
    want = "".join(pki.pem_cert(c) for c in [chain.leaf, chain.root, chain.intermediate, other])
    assert call("pkcs12certPass", "x", data) == want


def test_pkcs12_without_key_or_garbage(chain: Any) -> None:
    cert_only = pkcs12.serialize_key_and_certificates(
        None, None, None, [chain.root], serialization.NoEncryption()
    )
    # the first certificate bag is the certificate, so a certificate-only file lacks the key
    with pytest.raises(FuncError) as err:
        call("pkcs12key", from_go_bytes(cert_only))
    assert str(err.value) == "unable to decode pkcs12 with password: pkcs12: private key missing"
    with pytest.raises(FuncError) as err:
        call("pkcs12cert", from_go_bytes(cert_only))
    assert str(err.value) == (
        "unable to decode pkcs12 certificate with password: pkcs12: private key missing"
    )
    only_leaf = p12(chain.leaf_key, chain.leaf, [], b"")
    assert call("pkcs12cert", only_leaf)
    with pytest.raises(FuncError) as err:
        call("pkcs12key", "not a pkcs12 file")
    assert str(err.value).startswith(
        "unable to decode pkcs12 with password: pkcs12: error reading P12 data: "
    )


def _decode(b64: str, password: bytes) -> Any:
    return pkcs12.load_pkcs12(base64.b64decode(b64), password)


def _algorithms(b64: str) -> tuple[list[str], int, int]:
    """OIDs used in a PKCS#12 file, and the MAC's iteration count and salt length."""
    oids: list[str] = []

    def walk(data: bytes) -> None:
        for t in der.read_all(data):
            if t.tag == der.OID:
                oids.append(t.oid())
            elif t.tag & 0x20:
                walk(t.content)
            elif t.tag == der.OCTET_STRING:
                with contextlib.suppress(der.Asn1Error):
                    walk(t.content)

    pfx = der.read_one(base64.b64decode(b64))
    walk(pfx.raw)
    mac = pfx.children()[2].children()
    return oids, mac[2].integer(), len(mac[1].octets())


def test_pem_to_pkcs12_uses_go_pkcs12_modern(chain: Any, pki: Any) -> None:
    # case 44: Modern2023: PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, HMAC-SHA256 MAC, 2048
    # iterations, 16-byte salts
    cert, key = pki.pem_cert(chain.leaf), pki.pem_pkcs8(chain.leaf_key)
    out = call("pemToPkcs12Pass", cert, key, "password")
    got = _decode(out, b"password")
    assert got.cert.certificate == chain.leaf
    assert got.key.private_numbers() == chain.leaf_key.private_numbers()
    assert got.additional_certs == []
    oids, iterations, salt_len = _algorithms(out)
    assert "1.2.840.113549.1.5.13" in oids  # PBES2
    assert "1.2.840.113549.1.5.12" in oids  # PBKDF2
    assert "2.16.840.1.101.3.4.1.42" in oids  # AES-256-CBC
    assert "1.2.840.113549.2.9" in oids  # HMAC-SHA256 (PRF)
    assert "2.16.840.1.101.3.4.2.1" in oids  # SHA-256 MAC
    assert (iterations, salt_len) == (2048, 16)
    # no password: still encrypted and MACed with the empty password, as go-pkcs12 does
    empty = call("pemToPkcs12", cert, key)
    assert _decode(empty, b"").cert.certificate == chain.leaf
    assert "1.2.840.113549.1.5.13" in _algorithms(empty)[0]
    # our own decoder reads it back
    assert call("pkcs12key", call("b64dec", empty)) == key
    # a random salt and IV each time
    assert call("pemToPkcs12", cert, key) != empty


def test_pem_to_pkcs12_key_formats(chain: Any, pki: Any) -> None:
    cert = pki.pem_cert(chain.leaf)
    pkcs1 = chain.leaf_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    assert _decode(call("pemToPkcs12", cert, pkcs1), b"").key is not None
    with pytest.raises(FuncError) as err:
        call("pemToPkcs12", cert, "-----BEGIN X-----\nAAAA\n-----END X-----\n")
    assert str(err.value) == "unable to parse private key type"
    with pytest.raises(FuncPanic) as perr:
        call("pemToPkcs12", "not pem", pkcs1)
    assert str(perr.value) == NIL_DEREF


def test_full_pem_to_pkcs12(chain: Any, pki: Any) -> None:
    certs = pki.pem_cert(chain.leaf) + pki.pem_cert(chain.intermediate)
    out = call("fullPemToPkcs12Pass", certs, pki.pem_pkcs8(chain.leaf_key), "password")
    got = _decode(out, b"password")
    assert got.cert.certificate == chain.leaf
    assert [c.certificate for c in got.additional_certs] == [chain.intermediate]
    # bytes after the last block (a blank line) make ESO dereference nil
    with pytest.raises(FuncPanic) as err:
        call("fullPemToPkcs12", certs + "\n", pki.pem_pkcs8(chain.leaf_key))
    assert str(err.value) == NIL_DEREF


def test_truststore(chain: Any, pki: Any) -> None:
    certs = pki.pem_cert(chain.intermediate) + pki.pem_cert(chain.root)
    out = call("pemTruststoreToPKCS12Pass", certs, "changeit")
    got = _decode(out, b"changeit")
    assert got.key is None
    assert got.cert is None
    assert [c.certificate for c in got.additional_certs] == [chain.intermediate, chain.root]
    # friendly name = the subject as Go prints it
    assert [c.friendly_name for c in got.additional_certs] == [b"CN=intermediate-ca", b"CN=root-ca"]
    # each bag carries Java's trusted-certificate attribute (inside the encrypted safe)
    bags, _ = p12_internal._safe_contents(
        base64.b64decode(out), b"\0c\0h\0a\0n\0g\0e\0i\0t\0\0", 1, 1
    )
    for bag in bags:
        attributes = bag.children()[2].children()
        # a DER SET OF is sorted by encoding, as Go's asn1 writes it
        assert [a.children()[0].oid() for a in attributes] == [
            "2.16.840.1.113894.746875.1.1",
            "1.2.840.113549.1.9.20",  # friendlyName
        ]
    assert _decode(call("pemTruststoreToPKCS12", certs), b"").additional_certs


# -- PEM ----------------------------------------------------------------------------------------


def test_filter_pem(chain: Any, pki: Any) -> None:
    cert, key = pki.pem_cert(chain.leaf), pki.pem_pkcs8(chain.leaf_key)
    other = pki.pem_cert(chain.root)
    # spec cases 22 and 39
    assert call("filterPEM", "CERTIFICATE", key + cert) == cert
    assert call("filterPEM", "certificate", cert + key) == cert
    assert call("filterPEM", "CERTIFICATE", key + cert + key + other) == cert + other
    assert call("filterPEM", "private key", key + cert) == key
    assert call("filterPEM", "PRIVATE KEY", cert + key + "some ---junk---") == key
    assert call("filterPEM", "PRIVATE KEY", "some junk" + cert + key + "some ---junk---") == key
    # RSA PRIVATE KEY is another type
    assert (
        call(
            "filterPEM",
            "PRIVATE KEY",
            "-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n",
        )
        == ""
    )
    assert call("filterPEM", "X", "") == ""
    # case 40: text glued before a BEGIN hides that block; nothing matched and junk left
    with pytest.raises(FuncError) as err:
        call("filterPEM", "PRIVATE KEY", cert + "some junk" + key)
    assert str(err.value) == "error filtering pem: found junk"
    with pytest.raises(FuncError):
        call("filterPEM", "PRIVATE KEY", "---junk---")


def test_filter_pem_reencodes_with_64_char_lines() -> None:
    body = base64.b64encode(bytes(range(100))).decode()
    messy = f"-----BEGIN DATA-----\r\n{body[:10]}\r\n {body[10:]}\r\n-----END DATA-----\r\n"
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    want = "-----BEGIN DATA-----\n" + "\n".join(lines) + "\n-----END DATA-----\n"
    assert call("filterPEM", "data", messy) == want


def test_filter_cert_chain(chain: Any, pki: Any) -> None:
    leaf, inter, root = (pki.pem_cert(c) for c in (chain.leaf, chain.intermediate, chain.root))
    # cases 41 and 42 (input order does not matter: the chain is built from AKI/SKI)
    assert call("filterCertChain", "leaf", leaf) == leaf
    assert call("filterCertChain", "leaf", root + leaf + inter) == leaf
    assert call("filterCertChain", "leaf", root) == ""
    assert call("filterCertChain", "intermediate", leaf) == ""
    assert call("filterCertChain", "intermediate", leaf + inter) == inter
    assert call("filterCertChain", "intermediate", leaf + inter + root) == inter
    assert call("filterCertChain", "root", leaf) == ""
    assert call("filterCertChain", "root", root) == root
    assert call("filterCertChain", "root", leaf + inter + root) == root
    assert call("filterCertChain", "other", leaf) == ""
    with pytest.raises(FuncError) as err:
        call("filterCertChain", "leaf", "")
    assert str(err.value) == "no leaf certificate found"
    with pytest.raises(FuncError):
        call("filterCertChain", "leaf", leaf + pki.pem_pkcs8(chain.root_key))
    other_root = pki.make_cert("other", ec.generate_private_key(ec.SECP256R1()), ca=True)
    with pytest.raises(FuncError) as err:
        call("filterCertChain", "leaf", leaf + pki.pem_cert(other_root))
    assert str(err.value) == "found multiple leaf or disjunct certificates"


def test_cert_sans(chain: Any, pki: Any) -> None:
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    sans = [
        x509.DNSName("example.com"),
        x509.RFC822Name("admin@example.com"),
        x509.IPAddress(ipaddress.ip_address("192.168.1.10")),
        x509.UniformResourceIdentifier("https://example.com"),
        x509.DNSName("www.example.com"),
        x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
    ]
    cert = pki.pem_cert(pki.make_cert("sans", key, sans=sans))
    # case 43: DNS names, then IPs, then e-mails, then URIs
    assert call("certSANs", cert) == [
        "example.com",
        "www.example.com",
        "192.168.1.10",
        "10.0.0.1",
        "admin@example.com",
        "https://example.com",
    ]
    assert call("certSANs", "some junk\n" + pki.pem_cert(chain.leaf)) == ["foo.example.com"]
    assert call("join", ",", call("certSANs", pki.pem_cert(chain.root))) == ""
    # case 27 and an empty input
    for bad in ("not-a-pem", ""):
        with pytest.raises(FuncError) as err:
            call("certSANs", bad)
        assert str(err.value) == "failed to decode PEM block"


# -- JWK ----------------------------------------------------------------------------------------


def _b64url(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_jwk_private_key_pem_eso_case_21() -> None:
    jwk = (
        '{"kty": "EC","crv": "P-256","x": "fDjg3Nq4jPf8IOZ0277aPVal_8iXySnzLUJAZghUzZM",'
        '"y": "d863PeyBOK_Q4duiSmWwgIRzi1RPlFZTR-vACMlPg-Q",'
        '"d": "jJs5xsoHUetdMabtt8H2KyX5T92nGul1chFeMT5hlr0"}'
    )
    assert call("jwkPrivateKeyPem", jwk) == (
        "-----BEGIN PRIVATE KEY-----\n"
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjJs5xsoHUetdMabt\n"
        "t8H2KyX5T92nGul1chFeMT5hlr2hRANCAAR8OODc2riM9/wg5nTbvto9VqX/yJfJ\n"
        "KfMtQkBmCFTNk3fOtz3sgTiv0OHbokplsICEc4tUT5RWU0frwAjJT4Pk\n"
        "-----END PRIVATE KEY-----\n"
    )
    with pytest.raises(FuncError) as err:
        call("jwkPublicKeyPem", jwk)
    assert str(err.value) == "x509: unsupported public key type: *ecdsa.PrivateKey"


def test_jwk_rsa(chain: Any) -> None:
    pub = chain.leaf_key.public_key().public_numbers()
    jwk = f'{{"kty":"RSA","kid":"ex","n":"{_b64url(pub.n)}","e":"{_b64url(pub.e)}"}}'
    want = chain.leaf_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert call("jwkPublicKeyPem", jwk) == want.decode()
    # case 20's RSA-2048 public keys start with this SPKI prefix
    assert (
        call("jwkPublicKeyPem", jwk)
        .split("\n")[1]
        .startswith("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")
    )
    with pytest.raises(FuncError) as err:
        call("jwkPrivateKeyPem", jwk)
    assert str(err.value) == "x509: unknown key type while marshaling PKCS#8: *rsa.PublicKey"
    with pytest.raises(FuncError):
        call("jwkPublicKeyPem", "{not json")


# -- rsaDecrypt ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hash_name", "algorithm"),
    [
        ("SHA1", hashes.SHA1()),
        ("SHA256", hashes.SHA256()),
        ("SHA512", hashes.SHA512()),
        ("None", hashes.SHA256()),
        ("anything", hashes.SHA256()),
    ],
)
def test_rsa_decrypt_oaep(chain: Any, pki: Any, hash_name: str, algorithm: Any) -> None:
    ciphertext = chain.leaf_key.public_key().encrypt(
        b"a1b2c3d4", padding.OAEP(padding.MGF1(algorithm), algorithm, None)
    )
    for key_pem in (
        pki.pem_pkcs8(chain.leaf_key),
        chain.leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode(),
    ):
        got = call("rsaDecrypt", "RSA-OAEP", hash_name, from_go_bytes(ciphertext), key_pem)
        assert got == "a1b2c3d4"


def test_rsa_decrypt_errors(chain: Any, pki: Any) -> None:
    # case 45
    assert call("rsaDecrypt", "None", "SHA256", "plaintext", "irrelevant") == "plaintext"
    cases = [
        (("RSA-OAEP", "SHA256", "x", "not-a-valid-pem"), "failed to decode PEM block"),
        (
            ("RSA-OAEP", "SHA256", "x", pki.pem_cert(chain.leaf)),
            "could not parse private key: unable to parse private key type",
        ),
        (
            ("RSA-OAEP", "SHA256", "x", pki.pem_pkcs8(chain.root_key)),
            "could not parse RSA private key",
        ),
        (("Unsupported", "SHA256", "x", "k"), "decryption scheme Unsupported is not supported"),
        (
            ("RSA-OAEP", "SHA256", "garbage", pki.pem_pkcs8(chain.leaf_key)),
            "error decrypting data with RSA: crypto/rsa: decryption error",
        ),
    ]
    for args, message in cases:
        with pytest.raises(FuncError) as err:
            call("rsaDecrypt", *args)
        assert str(err.value) == message


def test_small_rsa_keys_are_refused(pki: Any) -> None:
    # Go 1.24+ refuses RSA keys under 1024 bits when parsing them
    p, q, e = 2**255 - 19, 2**256 - 189, 65537
    d = pow(e, -1, (p - 1) * (q - 1))
    small = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q)
    ).private_key()
    with pytest.raises(FuncError) as err:
        call("rsaDecrypt", "RSA-OAEP", "SHA256", "x", pki.pem_pkcs8(small))
    assert str(err.value) == "could not parse private key: unable to parse private key type"
