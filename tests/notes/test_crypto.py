import os
from datetime import UTC, datetime, timedelta

import pytest

from radhus.core.errors import InvalidInput, NotFound, RadhusError
from radhus.notes.crypto import (
    StoredAudio,
    apply_retention,
    decrypt_file,
    encrypt_file,
    key_from_setting,
    new_key,
)
from radhus.notes.models import Draft, DraftSection
from radhus.notes.review import create_note
from radhus.notes.store import EncryptedFileStore


def _note(org="solna", note_id="a1"):
    draft = Draft(
        template="protokoll",
        fields={"justerare": "Eva Sandberg"},
        sections=[DraftSection(key="beslut", title="Beslut", text="Nämnden beviljar bidraget till Ängby IF.")],
    )
    return create_note(org=org, draft=draft, note_id=note_id)


def test_stored_note_is_not_plain_text_and_round_trips(tmp_path):
    store = EncryptedFileStore(tmp_path, key=new_key())
    store.save(_note())
    raw = (tmp_path / "solna" / "a1.note").read_bytes()
    assert b"Eva Sandberg" not in raw and "Ängby".encode() not in raw and b"protokoll" not in raw
    assert store.load(org="solna", note_id="a1").draft.fields["justerare"] == "Eva Sandberg"
    assert store.list_ids(org="solna") == ["a1"]


def test_another_org_cannot_read_a_copied_file(tmp_path):
    key = new_key()
    store = EncryptedFileStore(tmp_path, key=key)
    store.save(_note())
    (tmp_path / "sundbyberg").mkdir()
    (tmp_path / "sundbyberg" / "a1.note").write_bytes((tmp_path / "solna" / "a1.note").read_bytes())
    with pytest.raises(RadhusError, match="dekrypteras"):
        store.load(org="sundbyberg", note_id="a1")
    with pytest.raises(NotFound):
        store.load(org="sundbyberg", note_id="b2")
    with pytest.raises(RadhusError, match="dekrypteras"):
        EncryptedFileStore(tmp_path, key=new_key()).load(org="solna", note_id="a1")


def test_path_tricks_are_refused(tmp_path):
    with pytest.raises(InvalidInput):
        EncryptedFileStore(tmp_path, key=new_key()).load(org="../etc", note_id="a1")


def test_large_audio_is_encrypted_in_chunks_and_tampering_detected(tmp_path):
    key, plain = new_key(), os.urandom(2_500_000) + b"RIFF-tal"
    source, sealed, back = tmp_path / "a.wav", tmp_path / "a.enc", tmp_path / "b.wav"
    source.write_bytes(plain)
    encrypt_file(source, sealed, key=key, context="solna/a1")
    assert plain[:4096] not in sealed.read_bytes()
    decrypt_file(sealed, back, key=key, context="solna/a1")
    assert back.read_bytes() == plain
    sealed.write_bytes(sealed.read_bytes()[:-100])  # truncated
    with pytest.raises(RadhusError, match="dekrypteras"):
        decrypt_file(sealed, back, key=key, context="solna/a1")


def test_key_from_setting():
    key = new_key()
    assert key_from_setting(key.hex()) == key
    import base64

    assert key_from_setting(base64.b64encode(key).decode()) == key
    with pytest.raises(InvalidInput, match="32 byte"):
        key_from_setting("för-kort")


def test_retention_deletes_after_approval_or_age(tmp_path):
    now = datetime(2026, 3, 1, tzinfo=UTC)
    paths = [tmp_path / n for n in ("godkand.enc", "gammal.enc", "ny.enc")]
    for p in paths:
        p.write_bytes(b"x")
    items = [
        StoredAudio(paths[0], now - timedelta(days=1), note_approved=True),
        StoredAudio(paths[1], now - timedelta(days=31)),
        StoredAudio(paths[2], now - timedelta(days=2)),
    ]
    assert apply_retention(items, now=now, max_age_days=30) == paths[:2]
    assert [p.exists() for p in paths] == [False, False, True]
