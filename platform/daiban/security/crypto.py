"""SM4-GCM sealing and HMAC-SM3 with `cryptography`, and a start-up self-test on the standard vectors.

A sealed blob is ``nonce (12 bytes) | ciphertext | tag (16 bytes)``; the additional authenticated
data is the value's kind (e.g. ``id_number``), so a value cannot be moved to another kind unnoticed.
"""

from __future__ import annotations

import hmac as std_hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 16  # SM4 keys are 128 bits


class TamperedData(ValueError):
    """A sealed value whose tag does not verify: altered, truncated or sealed under another key."""


class SelfTestFailed(RuntimeError):
    """The SM3 or SM4 implementation does not give the standard test vectors."""


def encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """SM4-GCM: nonce | ciphertext | tag."""
    nonce = os.urandom(NONCE_BYTES)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    body = enc.update(plaintext) + enc.finalize()
    return nonce + body + enc.tag


def decrypt(key: bytes, blob: bytes, aad: bytes, *, what: str = "加密数据") -> bytes:
    """Open nonce | ciphertext | tag; raise TamperedData (naming `what`) if it does not verify."""
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise TamperedData(f"无法解开{what}：密文长度不对，可能已被截断或篡改")
    nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    try:
        return dec.update(body) + dec.finalize()
    except InvalidTag:
        raise TamperedData(f"无法解开{what}：校验不通过，密文可能已被篡改或密钥不对") from None


def sm3(data: bytes) -> bytes:
    """The SM3 digest."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC-SM3 (RFC 2104 over SM3)."""
    h = hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize()


def _hmac_by_hand(key: bytes, data: bytes) -> bytes:
    block = 64  # SM3's block size in bytes
    if len(key) > block:
        key = sm3(key)
    key = key.ljust(block, b"\0")
    inner = sm3(bytes(k ^ 0x36 for k in key) + data)
    return sm3(bytes(k ^ 0x5C for k in key) + inner)


SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM4_KEY = "0123456789abcdeffedcba9876543210"
SM4_CIPHER = "681edf34d206965e86b3e94f536e4246"


def self_test() -> None:
    """Check SM3("abc"), the GB/T 32907 SM4 vector, HMAC-SM3 and an SM4-GCM round trip; raise
    SelfTestFailed on any mismatch."""
    if sm3(b"abc").hex() != SM3_ABC:
        raise SelfTestFailed("SM3 自检失败：“abc”的摘要与国标 GB/T 32905 的测试向量不符")
    key = bytes.fromhex(SM4_KEY)
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    if (enc.update(key) + enc.finalize()).hex() != SM4_CIPHER:
        raise SelfTestFailed("SM4 自检失败：加密结果与国标 GB/T 32907 的测试向量不符")
    for hkey, msg in ((b"key", b"The quick brown fox"), (bytes(range(100)), b"abc" * 50)):
        if not std_hmac.compare_digest(hmac_sm3(hkey, msg), _hmac_by_hand(hkey, msg)):
            raise SelfTestFailed("HMAC-SM3 自检失败：与按 RFC 2104 手工计算的结果不符")
    blob = encrypt(bytes(KEY_BYTES), b"self-test", b"kind")
    if decrypt(bytes(KEY_BYTES), blob, b"kind") != b"self-test":
        raise SelfTestFailed("SM4-GCM 自检失败：加密后无法还原")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    try:
        decrypt(bytes(KEY_BYTES), tampered, b"kind")
    except TamperedData:
        return
    raise SelfTestFailed("SM4-GCM 自检失败：被篡改的密文未被识别")
