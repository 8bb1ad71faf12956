"""`radhus notes ...`: transcribe, draft, approve, list and export notes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from radhus.core.errors import InvalidInput, ProviderError, RadhusError
from radhus.notes.audio import DEFAULT_MAX_DURATION_S, check_audio_path
from radhus.notes.crypto import key_from_setting, new_key
from radhus.notes.export import FORMATS, export_note
from radhus.notes.review import approve, create_note, mark_exported
from radhus.notes.service import draft_note, transcribe_recording
from radhus.notes.store import EncryptedFileStore
from radhus.notes.templates import get_template
from radhus.notes.transcribe import MODEL_DIR_SETTING, WhisperTranscriber
from radhus.notes.transcript import read_transcript

KEY_SETTING = "RADHUS_NOTES_KEY"
DATA_DIR_SETTING = "RADHUS_DATA_DIR"
MAX_MINUTES_SETTING = "RADHUS_NOTES_MAX_AUDIO_MINUTES"


def _fail(exc: RadhusError) -> None:
    typer.echo(f"Fel: {exc.message}", err=True)
    raise typer.Exit(code=2 if isinstance(exc, InvalidInput) else 1)


def _data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_SETTING) or "radhus-data")


def _key(data_dir: Path) -> bytes:
    """The notes key from RADHUS_NOTES_KEY, else a key file generated once under the data directory."""
    configured = os.environ.get(KEY_SETTING)
    if configured:
        return key_from_setting(configured)
    key_file = data_dir / "keys" / "notes.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_file.write_bytes(new_key())
        key_file.chmod(0o600)
    return key_file.read_bytes()


def store() -> EncryptedFileStore:
    """The file store for notes under RADHUS_DATA_DIR/notes."""
    data_dir = _data_dir()
    return EncryptedFileStore(data_dir / "notes", key=_key(data_dir))


def _chat_for(provider: str | None):
    if provider:
        raise ProviderError(
            f'Chattleverantören "{provider}" är inte konfigurerad. Lägg till den under [providers.chat.{provider}] '
            "i radhus.toml, eller utelämna --provider för att använda det inbyggda utdragsbaserade utkastet."
        )
    return None


def _max_duration() -> float:
    raw = os.environ.get(MAX_MINUTES_SETTING)
    if not raw:
        return DEFAULT_MAX_DURATION_S
    try:
        return float(raw) * 60
    except ValueError as exc:
        raise InvalidInput(f"{MAX_MINUTES_SETTING} ska vara ett antal minuter.") from exc


def register(root: typer.Typer) -> None:
    """Add the `notes` command group to the root CLI."""
    notes = typer.Typer(help="Dokumentationsstöd: transkribering, utkast, granskning och export.", no_args_is_help=True)
    root.add_typer(notes, name="notes")

    @notes.command("transcribe")
    def transcribe_cmd(
        audio: Path = typer.Argument(..., help="Ljud- eller videofil (wav, mp3, m4a, ogg, webm, mp4)."),
        org: str = typer.Option(..., "--org", help="Organisationen."),
        provider: str | None = typer.Option(None, "--provider", help="Talleverantör (standard: Whisper-mappen)."),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """Transkribera en inspelning."""
        try:
            if provider not in (None, "whisper", "lokal"):
                raise ProviderError(f'Talleverantören "{provider}" är inte konfigurerad. Ange {MODEL_DIR_SETTING}.')
            check_audio_path(audio)
            transcriber = WhisperTranscriber(os.environ.get(MODEL_DIR_SETTING))
            transcript = transcribe_recording(
                path=audio, transcriber=transcriber, model=transcriber.name, max_duration_s=_max_duration()
            )
        except RadhusError as exc:
            _fail(exc)
        if as_json:
            typer.echo(json.dumps(transcript.to_dict(), ensure_ascii=False))
        else:
            for seg in transcript.segments:
                typer.echo(f"[{seg.start:7.1f}–{seg.end:7.1f}] {seg.text}")

    @notes.command("draft")
    def draft_cmd(
        org: str = typer.Option(..., "--org", help="Organisationen."),
        template: str = typer.Option(..., "--template", help="Mallens namn, t.ex. protokoll."),
        transcript: Path = typer.Option(..., "--transcript", help="Transkription (text, VTT, SRT eller JSON)."),
        provider: str | None = typer.Option(None, "--provider", help="Chattleverantör (standard: inbyggt utdrag)."),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """Skapa ett utkast enligt en mall från en transkription och spara det för granskning."""
        try:
            segments = read_transcript(transcript)
            draft = draft_note(segments=segments, template=get_template(template), chat=_chat_for(provider))
            note = create_note(org=org, draft=draft)
            store().save(note)
        except RadhusError as exc:
            _fail(exc)
        if as_json:
            typer.echo(json.dumps({"id": note.id, **draft.to_dict()}, ensure_ascii=False))
        else:
            typer.echo(f"{draft.notice}\nId: {note.id}")
            for section in draft.sections:
                typer.echo(f"\n{section.title}\n{section.text}")

    @notes.command("approve")
    def approve_cmd(
        note_id: str = typer.Argument(..., help="Anteckningens id."),
        org: str = typer.Option(..., "--org", help="Organisationen."),
        user: str = typer.Option(..., "--user", help="Granskarens namn."),
        role: list[str] = typer.Option([], "--role", help="Användarens roller (granskare krävs)."),
    ) -> None:
        """Godkänn en anteckning (kräver rollen granskare)."""
        try:
            notes_store = store()
            note = notes_store.load(org=org, note_id=note_id)
            event = approve(note=note, user=user, roles=set(role))
            notes_store.save(note)
        except RadhusError as exc:
            _fail(exc)
        typer.echo(json.dumps(event, ensure_ascii=False))

    @notes.command("list")
    def list_cmd(org: str = typer.Option(..., "--org", help="Organisationen.")) -> None:
        """Lista organisationens anteckningar."""
        try:
            notes_store = store()
            rows = [notes_store.load(org=org, note_id=i) for i in notes_store.list_ids(org=org)]
        except RadhusError as exc:
            _fail(exc)
        for note in rows:
            typer.echo(f"{note.id}\t{note.draft.template}\t{note.state.value}\t{note.created_at}")

    @notes.command("export")
    def export_cmd(
        note_id: str = typer.Argument(..., help="Anteckningens id."),
        org: str = typer.Option(..., "--org", help="Organisationen."),
        fmt: str = typer.Option(..., "--format", help=f"Format: {'|'.join(FORMATS)}."),
        out: Path = typer.Option(..., "--out", help="Fil att skriva."),
    ) -> None:
        """Exportera en anteckning; ej godkända anteckningar märks som utkast."""
        try:
            notes_store = store()
            note = notes_store.load(org=org, note_id=note_id)
            data = export_note(note=note, fmt=fmt)
            out.write_bytes(data)
            mark_exported(note=note, user=os.environ.get("USER", "cli"), fmt=fmt)
            notes_store.save(note)
        except RadhusError as exc:
            _fail(exc)
        except OSError as exc:
            typer.echo(f"Fel: filen {out} kunde inte skrivas ({exc.strerror}).", err=True)
            raise typer.Exit(code=1) from exc
        typer.echo(str(out))
