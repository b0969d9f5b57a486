"""Writes the PEM/PKCS#12/ciphertext fixtures of the template corpus (fixtures/). Run once by hand
(``python tests/template_corpus/make_fixtures.py``); the files are committed, so the corpus does
not change between runs. Every key here is a throw-away test key."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

OUT = Path(__file__).parent / "fixtures"
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
END = datetime.datetime(2044, 1, 1, tzinfo=datetime.UTC)


def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Corpus Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def cert(
    subject: str,
    subject_key: rsa.RSAPrivateKey,
    issuer: str,
    issuer_key: rsa.RSAPrivateKey,
    ca: bool,
    sans: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    ski = x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(END)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(ski, critical=False)
    )
    if subject_key is not issuer_key:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
        builder = builder.add_extension(aki, critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def pem(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.PEM)


def pkcs8(k: rsa.RSAPrivateKey) -> bytes:
    return k.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def main() -> None:
    OUT.mkdir(exist_ok=True)
    root_key, int_key, leaf_key, other_key = key(), key(), key(), key()
    root = cert("Corpus Root CA", root_key, "Corpus Root CA", root_key, ca=True)
    inter = cert("Corpus Intermediate CA", int_key, "Corpus Root CA", root_key, ca=True)
    sans: list[x509.GeneralName] = [
        x509.DNSName("app.corpus.example"),
        x509.DNSName("www.corpus.example"),
        x509.IPAddress(ipaddress.ip_address("192.0.2.10")),
        x509.RFC822Name("ops@corpus.example"),
        x509.UniformResourceIdentifier("https://corpus.example/id"),
    ]
    leaf = cert("app.corpus.example", leaf_key, "Corpus Intermediate CA", int_key, False, sans)
    files = {
        "root.crt": pem(root),
        "intermediate.crt": pem(inter),
        "leaf.crt": pem(leaf),
        "leaf.key": pkcs8(leaf_key),
        "chain.pem": pem(leaf) + pem(inter) + pem(root),
        "bundle.pem": pkcs8(leaf_key) + pem(leaf) + pem(inter) + pem(root),
        "rsa.key": pkcs8(other_key),
    }
    files["leaf-nopass.p12"] = pkcs12.serialize_key_and_certificates(
        b"leaf", leaf_key, leaf, [inter, root], serialization.NoEncryption()
    )
    files["leaf-pass.p12"] = pkcs12.serialize_key_and_certificates(
        b"leaf",
        leaf_key,
        leaf,
        [inter, root],
        serialization.BestAvailableEncryption(b"corpus-pass"),
    )
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    files["rsa-oaep-sha1.bin"] = other_key.public_key().encrypt(b"corpus-plaintext-42", oaep)
    for file_name, content in files.items():
        (OUT / file_name).write_bytes(content)


if __name__ == "__main__":
    main()
