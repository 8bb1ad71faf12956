"""An encrypted-file note store (files under root/<org>/<id>.note). The platform keeps notes in the database
(see workflow.py and tables.py); this store remains for tools that work on plain folders."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Protocol

from radhus.core.errors import InvalidInput, NotFound
from radhus.notes.crypto import decrypt_bytes, encrypt_bytes
from radhus.notes.models import Note

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class NoteStore(Protocol):
    """Where notes live; every call is scoped to one organisation."""

    def save(self, note: Note) -> None: ...

    def load(self, *, org: str, note_id: str) -> Note: ...

    def list_ids(self, *, org: str) -> list[str]: ...


def _safe(value: str, what: str) -> str:
    if not _SAFE.match(value or ""):
        raise InvalidInput(f"Ogiltigt {what}: {value!r}. Använd bokstäver, siffror, - och _.")
    return value


class EncryptedFileStore:
    """Notes as AES-GCM encrypted JSON files under root/<org>/<id>.note; the org is bound into the cipher."""

    def __init__(self, root: Path, *, key: bytes):
        self.root = Path(root)
        self.key = key

    def _path(self, org: str, note_id: str) -> Path:
        return self.root / _safe(org, "organisationsnamn") / f"{_safe(note_id, 'anteckningsid')}.note"

    def save(self, note: Note) -> None:
        """Encrypt and write the note atomically."""
        path = self._path(note.org, note.id)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        blob = encrypt_bytes(
            json.dumps(note.to_dict(), ensure_ascii=False).encode(), key=self.key, context=f"{note.org}/{note.id}"
        )
        partial = path.with_suffix(".tmp")
        partial.write_bytes(blob)
        os.replace(partial, path)

    def load(self, *, org: str, note_id: str) -> Note:
        """Read and decrypt one note of the organisation."""
        path = self._path(org, note_id)
        if not path.is_file():
            raise NotFound(f"Anteckningen {note_id} finns inte.")
        data = json.loads(decrypt_bytes(path.read_bytes(), key=self.key, context=f"{org}/{note_id}"))
        return Note.from_dict(data)

    def list_ids(self, *, org: str) -> list[str]:
        """Ids of the organisation's notes."""
        folder = self.root / _safe(org, "organisationsnamn")
        return sorted(p.stem for p in folder.glob("*.note")) if folder.is_dir() else []
