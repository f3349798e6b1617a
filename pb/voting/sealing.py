"""The cryptography of the ballot box, with no database and no Flask in it.

- The election key: 16 random bytes (the *master secret*) that SLIP-39 splits into k-of-n
  mnemonic shares (`shamir-mnemonic`); the X25519 private key is SHA-256 of the master secret,
  so the key is exactly as strong as 128 random bits and each share is 20 words.
- The inner envelope: a ballot's marks in a fixed binary layout, padded with random bytes to one
  length per edition, sealed with libsodium's sealed box (an anonymous X25519 + XSalsa20-Poly1305
  encryption: only the private key opens it, and nothing in it names who sealed it).
- A member's key: an X25519 key pair whose private half is kept under a key derived from the
  member's password with argon2id; shares are sealed to its public half.
- Short-lived browser state (the receipt code, the verified voter): a SecretBox under a key
  derived from the app's SECRET_KEY, with an expiry inside the box.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import shamir_mnemonic
from nacl import pwhash
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from shamir_mnemonic import shamir

MASTER_SECRET_BYTES = 16
KEY_CONTEXT = b"pb-election-key-v1"
LAYOUT_VERSION = 1
_HEADER = struct.Struct(">BH")  # layout version, number of marks
_MARK = struct.Struct(">Ih")  # proposal id, value
PAD_BLOCK = 64
SHARE_PAD = 400  # characters: longer than any 20- or 33-word SLIP-39 share
SEAL_OVERHEAD = 48  # the sealed box adds an ephemeral public key (32) and a MAC (16)


class ShareError(ValueError):
    """The shares entered do not rebuild this edition's key; the message says why."""


# --- the election key ------------------------------------------------------------------------------


def new_master_secret() -> bytes:
    return secrets.token_bytes(MASTER_SECRET_BYTES)


def private_key_of(master_secret: bytes) -> PrivateKey:
    return PrivateKey(hashlib.sha256(KEY_CONTEXT + master_secret).digest())


def fingerprint(public_key: bytes) -> str:
    """SHA-256 of the public key, hex: what the public page shows and a member can compare."""
    return hashlib.sha256(public_key).hexdigest()


def grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


@contextmanager
def _deterministic_randomness(seed: bytes | None):
    """Only for the demo's documented seed: SLIP-39's own random draws from a seeded stream."""
    if seed is None:
        yield
        return
    counter = 0

    def draw(n: int) -> bytes:
        nonlocal counter
        out = b""
        while len(out) < n:
            out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
            counter += 1
        return out[:n]

    saved = shamir.RANDOM_BYTES
    shamir.RANDOM_BYTES = draw
    try:
        yield
    finally:
        shamir.RANDOM_BYTES = saved


def split_secret(
    master_secret: bytes, threshold: int, shares: int, *, seed: bytes | None = None
) -> list[str]:
    """k-of-n SLIP-39 mnemonics of the master secret (one group, no passphrase)."""
    with _deterministic_randomness(seed):
        groups = shamir_mnemonic.generate_mnemonics(
            1, [(threshold, shares)], master_secret, b"", extendable=True, iteration_exponent=0
        )
    return list(groups[0])


def normalise_share(text: str) -> str:
    return " ".join((text or "").lower().split())


def combine_shares(mnemonics: Iterable[str]) -> bytes:
    """The master secret from k shares; ShareError when they are too few, mistyped or mixed."""
    entered = [normalise_share(m) for m in mnemonics if normalise_share(m)]
    if len(set(entered)) < len(entered):
        raise ShareError("the same share was entered twice")
    try:
        return shamir_mnemonic.combine_mnemonics(entered, b"")
    except shamir_mnemonic.MnemonicError as error:
        raise ShareError(str(error)) from None
    except (ValueError, KeyError) as error:
        raise ShareError(str(error)) from None


# --- the inner envelope -------------------------------------------------------------------------------


def plain_length(max_marks: int) -> int:
    """The padded length of every ballot of an edition whose ballot holds `max_marks` projects."""
    raw = _HEADER.size + _MARK.size * max(1, max_marks)
    return -(-raw // PAD_BLOCK) * PAD_BLOCK


def encode_marks(marks: Mapping[int, int], length: int) -> bytes:
    items = sorted((int(p), int(v)) for p, v in marks.items() if v)
    body = _HEADER.pack(LAYOUT_VERSION, len(items)) + b"".join(_MARK.pack(p, v) for p, v in items)
    if len(body) > length:
        raise ValueError("more marks than the ballot has projects")
    return body + secrets.token_bytes(length - len(body))


def decode_marks(plain: bytes) -> dict[int, int]:
    version, count = _HEADER.unpack_from(plain, 0)
    if version != LAYOUT_VERSION:
        raise ValueError(f"unknown ballot layout {version}")
    marks = {}
    for i in range(count):
        proposal_id, value = _MARK.unpack_from(plain, _HEADER.size + i * _MARK.size)
        marks[proposal_id] = value
    return marks


def seal_marks(public_key: bytes, marks: Mapping[int, int], length: int) -> bytes:
    return SealedBox(PublicKey(public_key)).encrypt(encode_marks(marks, length))


def opener(private_key: PrivateKey):
    box = SealedBox(private_key)

    def open_one(sealed: bytes) -> dict[int, int]:
        return decode_marks(box.decrypt(bytes(sealed)))

    return open_one


# --- a member's key for receiving a share -------------------------------------------------------------


@dataclass(frozen=True)
class KdfCost:
    opslimit: int
    memlimit: int


KDF_COSTS = {
    "interactive": KdfCost(
        pwhash.argon2id.OPSLIMIT_INTERACTIVE, pwhash.argon2id.MEMLIMIT_INTERACTIVE
    ),
    "moderate": KdfCost(pwhash.argon2id.OPSLIMIT_MODERATE, pwhash.argon2id.MEMLIMIT_MODERATE),
    # Tests only: the weakest argon2id libsodium accepts.
    "minimal": KdfCost(pwhash.argon2id.OPSLIMIT_MIN, pwhash.argon2id.MEMLIMIT_MIN),
}


def _password_key(password: str, salt: bytes, cost: KdfCost) -> bytes:
    return pwhash.argon2id.kdf(
        SecretBox.KEY_SIZE,
        password.encode("utf-8"),
        salt,
        opslimit=cost.opslimit,
        memlimit=cost.memlimit,
    )


@dataclass(frozen=True)
class WrappedMemberKey:
    public_key: bytes
    wrapped_private_key: bytes
    salt: bytes
    opslimit: int
    memlimit: int


def new_member_key(password: str, cost: KdfCost) -> WrappedMemberKey:
    private = PrivateKey.generate()
    salt = secrets.token_bytes(pwhash.argon2id.SALTBYTES)
    wrapped = SecretBox(_password_key(password, salt, cost)).encrypt(bytes(private))
    return WrappedMemberKey(
        bytes(private.public_key), bytes(wrapped), salt, cost.opslimit, cost.memlimit
    )


def unwrap_member_key(
    password: str, wrapped: bytes, salt: bytes, opslimit: int, memlimit: int
) -> PrivateKey | None:
    """The member's private key, or None when the password is not the one it was wrapped with."""
    key = _password_key(password, bytes(salt), KdfCost(opslimit, memlimit))
    try:
        return PrivateKey(SecretBox(key).decrypt(bytes(wrapped)))
    except CryptoError:
        return None


def seal_share(member_public_key: bytes, mnemonic: str) -> bytes:
    padded = mnemonic.ljust(SHARE_PAD)  # every sealed share has one length
    return SealedBox(PublicKey(bytes(member_public_key))).encrypt(padded.encode("ascii"))


def open_share(member_private_key: PrivateKey, sealed: bytes) -> str:
    return SealedBox(member_private_key).decrypt(bytes(sealed)).decode("ascii").strip()


# --- short-lived state kept only in the browser ---------------------------------------------------------


def _browser_key(secret_key: str | bytes, purpose: str) -> bytes:
    material = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    return hashlib.blake2b(
        material, digest_size=SecretBox.KEY_SIZE, person=purpose.encode("ascii")[:16]
    ).digest()


def seal_for_browser(secret_key: str | bytes, purpose: str, data: dict, ttl_seconds: int) -> str:
    payload = json.dumps({"x": int(time.time()) + ttl_seconds, "d": data}, separators=(",", ":"))
    sealed = SecretBox(_browser_key(secret_key, purpose)).encrypt(payload.encode("utf-8"))
    return base64.urlsafe_b64encode(bytes(sealed)).decode("ascii")


def open_from_browser(secret_key: str | bytes, purpose: str, token: object) -> dict | None:
    """The data sealed by `seal_for_browser`, or None when missing, forged, foreign or expired."""
    if not isinstance(token, str) or not token:
        return None
    try:
        sealed = base64.urlsafe_b64decode(token.encode("ascii"))
        payload = json.loads(SecretBox(_browser_key(secret_key, purpose)).decrypt(sealed))
    except (CryptoError, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or int(payload.get("x", 0)) < time.time():
        return None
    data = payload.get("d")
    return data if isinstance(data, dict) else None
