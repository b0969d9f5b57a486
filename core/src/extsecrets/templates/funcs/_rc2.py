"""RC2 decryption (RFC 2268), for reading PKCS#12 files made with the legacy RC2 ciphers.

The ``cryptography`` package offers RC2 with 128-bit keys only; PKCS#12's
pbeWithSHAAnd40BitRC2-CBC (the default of OpenSSL 1.x and go-pkcs12's Legacy encoders) needs 40-bit
keys, so this module decrypts, with the key's length as the effective key bits, as Go does.
"""

from __future__ import annotations

__all__ = ["rc2_cbc_decrypt"]

# RFC 2268's PITABLE
_PI = bytes.fromhex(
    "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2"
    "179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82"
    "54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626"
    "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7"
    "08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec"
    "c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731"
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9"
    "0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad"
)

_M = 0xFFFF


def _expand(key: bytes, t1: int) -> list[int]:
    ln = bytearray(128)
    ln[: len(key)] = key
    t = len(key)
    t8 = (t1 + 7) // 8
    tm = 255 % (1 << (8 + t1 - 8 * t8))
    for i in range(t, 128):
        ln[i] = _PI[(ln[i - 1] + ln[(i - t) & 0xFF]) & 0xFF]
    ln[128 - t8] = _PI[ln[128 - t8] & tm]
    for i in range(127 - t8, -1, -1):
        ln[i] = _PI[ln[i + 1] ^ ln[i + t8]]
    return [ln[2 * i] | ln[2 * i + 1] << 8 for i in range(64)]


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (16 - n))) & _M


def _decrypt_block(k: list[int], block: bytes) -> bytes:
    r = [
        block[0] | block[1] << 8,
        block[2] | block[3] << 8,
        block[4] | block[5] << 8,
        block[6] | block[7] << 8,
    ]
    j = 63

    def unmix(stop: int) -> None:
        nonlocal j
        while j >= stop:
            for i, s in ((3, 5), (2, 3), (1, 2), (0, 1)):
                a, b, c = r[(i - 1) % 4], r[(i - 2) % 4], r[(i - 3) % 4]
                r[i] = (_rotr(r[i], s) - k[j] - (a & b) - ((~a & _M) & c)) & _M
                j -= 1

    def unmash() -> None:
        for i in (3, 2, 1, 0):
            r[i] = (r[i] - k[r[(i - 1) % 4] & 63]) & _M

    unmix(44)
    unmash()
    unmix(20)
    unmash()
    unmix(0)
    return bytes(b for w in r for b in (w & 0xFF, w >> 8))


def rc2_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """RC2-CBC decryption with ``len(key) * 8`` effective key bits; no padding removed."""
    k = _expand(key, len(key) * 8)
    out = bytearray()
    prev = iv
    for i in range(0, len(data), 8):
        block = data[i : i + 8]
        plain = _decrypt_block(k, block)
        out += bytes(x ^ y for x, y in zip(plain, prev, strict=True))
        prev = block
    return bytes(out)
