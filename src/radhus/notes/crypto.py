"""Encryption at rest (AES-256-GCM, chunked for large audio) and the retention rule for audio."""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from radhus.core.errors import InvalidInput, RadhusError

MAGIC = b"RADHUS-ENC1"
CHUNK = 1024 * 1024  # plaintext bytes per encrypted chunk: memory stays bounded for long recordings
_NONCE_PREFIX = 7  # 7 random bytes + 4-byte counter + 1-byte last-chunk flag = 12-byte GCM nonce


def key_from_setting(value: str | bytes) -> bytes:
    """A 256-bit key from a setting: base64 (standard or URL-safe) or hex; Swedish error otherwise."""
    if isinstance(value, bytes) and len(value) == 32:
        return value
    text = value.decode() if isinstance(value, bytes) else value.strip()
    for decode in (bytes.fromhex, base64.urlsafe_b64decode, base64.b64decode):
        try:
            key = decode(text)
        except ValueError:
            continue
        if len(key) == 32:
            return key
    raise InvalidInput(
        "Krypteringsnyckeln för anteckningar är ogiltig: den ska vara 32 byte, angiven som base64 eller hex."
    )


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)


def encrypt_bytes(data: bytes, *, key: bytes, context: str = "") -> bytes:
    """Encrypt a small blob; `context` (e.g. org and id) is authenticated, binding the blob to its owner."""
    nonce = os.urandom(12)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, data, context.encode())


def decrypt_bytes(blob: bytes, *, key: bytes, context: str = "") -> bytes:
    """Decrypt what encrypt_bytes wrote; a wrong key, context or tampering gives a Swedish error."""
    if not blob.startswith(MAGIC):
        raise RadhusError("Filen är inte krypterad av Rådhus.", status_code=500)
    nonce, body = blob[len(MAGIC) : len(MAGIC) + 12], blob[len(MAGIC) + 12 :]
    try:
        return AESGCM(key).decrypt(nonce, body, context.encode())
    except InvalidTag as exc:
        raise RadhusError("Filen kunde inte dekrypteras: fel nyckel eller ändrat innehåll.", status_code=500) from exc


def _chunk_nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def encrypt_file(source: Path, target: Path, *, key: bytes, context: str = "") -> None:
    """Encrypt a file chunk by chunk (bounded memory); truncation and reordering are detected."""
    aead, prefix = AESGCM(key), os.urandom(_NONCE_PREFIX)
    with source.open("rb") as src, target.open("wb") as out:
        out.write(MAGIC + prefix)
        current, counter = src.read(CHUNK), 0
        while True:
            following = src.read(CHUNK)
            last = not following
            out.write(aead.encrypt(_chunk_nonce(prefix, counter, last), current, context.encode()))
            if last:
                return
            current, counter = following, counter + 1


def decrypt_file(source: Path, target: Path, *, key: bytes, context: str = "") -> None:
    """Decrypt a file written by encrypt_file, chunk by chunk."""
    aead, sealed = AESGCM(key), CHUNK + 16
    with source.open("rb") as src, target.open("wb") as out:
        header = src.read(len(MAGIC) + _NONCE_PREFIX)
        if not header.startswith(MAGIC):
            raise RadhusError("Filen är inte krypterad av Rådhus.", status_code=500)
        prefix = header[len(MAGIC) :]
        current, counter = src.read(sealed), 0
        while True:
            following = src.read(sealed)
            last = not following
            try:
                out.write(aead.decrypt(_chunk_nonce(prefix, counter, last), current, context.encode()))
            except InvalidTag as exc:
                raise RadhusError(
                    "Ljudfilen kunde inte dekrypteras: fel nyckel, ändrat eller avkortat innehåll.", status_code=500
                ) from exc
            if last:
                return
            current, counter = following, counter + 1


@dataclass(frozen=True)
class StoredAudio:
    """An audio file kept for a note: where, since when, and whether its note has been approved."""

    path: Path
    created_at: datetime
    note_approved: bool = False


def audio_to_delete(
    items: Iterable[StoredAudio], *, now: datetime, max_age_days: int, delete_after_approval: bool = True
) -> list[StoredAudio]:
    """Audio due for deletion: its note is approved, or it is older than the retention period."""
    limit = timedelta(days=max_age_days)
    return [item for item in items if (delete_after_approval and item.note_approved) or now - item.created_at >= limit]


def apply_retention(
    items: Iterable[StoredAudio], *, now: datetime, max_age_days: int, delete_after_approval: bool = True
) -> list[Path]:
    """Delete audio that is due (see audio_to_delete); returns the paths removed."""
    removed = []
    for item in audio_to_delete(items, now=now, max_age_days=max_age_days, delete_after_approval=delete_after_approval):
        item.path.unlink(missing_ok=True)
        removed.append(item.path)
    return removed
