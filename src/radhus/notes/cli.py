"""`radhus notes ...`: transcribe, draft, list, approve, export and apply retention, on the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select

from radhus.core import audit
from radhus.core.audit import AuditKind
from radhus.core.auth import Role, User, principal_for
from radhus.core.cli_support import cli_principal, db_session, echo_json, friendly_errors, settings
from radhus.core.errors import Forbidden, InvalidInput, NotFound, RadhusError
from radhus.core.privacy import redact
from radhus.notes import diarise, workflow
from radhus.notes.audio import check_audio_path
from radhus.notes.diarise import MAX_SPEAKERS
from radhus.notes.export import FORMATS
from radhus.notes.service import transcribe_recording
from radhus.notes.transcribe import ChunkTranscriber, WhisperTranscriber, from_provider
from radhus.notes.transcript import read_transcript


def _hub(session, who):  # type: ignore[no-untyped-def]
    """The provider hub for a CLI caller (every model call audited)."""
    from radhus.app import create_app

    return create_app(settings(), start_worker=False).state.ctx.provider_hub(session, who)


def _diarised(session, *, who, path: Path, segments: list, speakers: int | None, max_duration_s: float) -> list:  # type: ignore[no-untyped-def]
    """The segments with automatic speaker labels (audited); unlabelled, with a warning, when that fails."""
    try:
        result = diarise.diarise_file(path, segments, speakers=speakers, max_duration_s=max_duration_s)
    except Exception as exc:  # noqa: BLE001 - the transcript is still worth having
        reason = exc.message if isinstance(exc, RadhusError) else f"{type(exc).__name__}: {exc}"
        result = diarise.Diarisation(labels=[None] * len(segments), speakers=0, error=reason)
    audit.append(
        session, kind=AuditKind.AI_CALL, action="speech", org_id=who.org_id, user_id=who.user_id,
        username=who.username, function="notes.diarise", provider=result.method, model=result.model,
        data_class=workflow.DATA_CLASS, status="failed" if result.error else "ok",
        excerpt=(result.error or f"{result.speakers} talare")[:200], detail={"file": path.name, **result.to_dict()},
    )  # fmt: skip
    if result.error:
        typer.echo(f"Talarna kunde inte märkas automatiskt: {result.error}", err=True)
    return diarise.apply(segments, result)


def register(root: typer.Typer) -> None:
    """Add the `notes` command group to the root CLI."""
    notes = typer.Typer(help="Dokumentationsstöd: transkribering, utkast, granskning och export.", no_args_is_help=True)
    root.add_typer(notes, name="notes")

    @notes.command("transcribe")
    @friendly_errors
    def transcribe_cmd(
        audio_file: Path = typer.Argument(..., help="Ljud- eller videofil (wav, mp3, m4a, ogg, webm, mp4)."),
        org: str = typer.Option(..., "--org", help="Organisationens kod."),
        provider: str | None = typer.Option(
            None,
            "--provider",
            help="Talleverantör i radhus.toml (standard: Whisper-mappen i RADHUS_WHISPER_MODEL_DIR).",
        ),  # fmt: skip
        speakers: int | None = typer.Option(
            None,
            "--speakers",
            min=1,
            max=MAX_SPEAKERS,
            help="Antal talare, om du vet det (styr den automatiska talarmärkningen, notes_diarisation).",
        ),  # fmt: skip
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """Transkribera en inspelning och märk talarna (skrivs inte till databasen; anropen loggas)."""
        current = settings()
        check_audio_path(audio_file)
        with db_session(current) as session:
            org_row, who = cli_principal(session, org_slug=org)
            transcriber: ChunkTranscriber
            if provider:
                hub = _hub(session, who)
                name, cfg = hub.resolve("speech", provider)

                class _Audited:
                    def transcribe(self, data: bytes, language: str = "sv") -> Any:
                        return hub.transcribe(
                            data, data_class=workflow.DATA_CLASS, language=language, provider=name,
                            function="notes.transcribe",
                        )  # fmt: skip

                transcriber, model = from_provider(_Audited()), (cfg.model if cfg and cfg.model else name)
            else:
                whisper = WhisperTranscriber(current.whisper_model_dir)
                transcriber, model = whisper, whisper.name
            transcript = transcribe_recording(
                path=audio_file, transcriber=transcriber, model=model, max_duration_s=workflow.max_duration_s(current)
            )
            if not provider:
                text = "\n".join(s.text for s in transcript.segments)
                audit.append(
                    session, kind=AuditKind.AI_CALL, action="speech", org_id=org_row.id, user_id=who.user_id,
                    username=who.username, function="notes.transcribe", provider="faster-whisper", model=model,
                    data_class=workflow.DATA_CLASS, output_text=text, excerpt=redact(text[:400]).text[:200],
                    detail={"segments": len(transcript.segments), "file": audio_file.name},
                )  # fmt: skip
            if current.notes_diarisation == "builtin":
                transcript.segments = _diarised(
                    session, who=who, path=audio_file, segments=transcript.segments, speakers=speakers,
                    max_duration_s=workflow.max_duration_s(current),
                )  # fmt: skip
        if as_json:
            echo_json(transcript.to_dict())
        else:
            for seg in transcript.segments:
                typer.echo(f"[{seg.start or 0:7.1f}–{seg.end or 0:7.1f}] {seg.text}")

    @notes.command("draft")
    @friendly_errors
    def draft_cmd(
        org: str = typer.Option(..., "--org", help="Organisationens kod."),
        template: str = typer.Option(..., "--template", help="Mallens namn, t.ex. protokoll."),
        transcript: Path = typer.Option(..., "--transcript", help="Transkription (text, VTT, SRT eller JSON)."),
        provider: str | None = typer.Option(None, "--provider", help="Chattleverantör (standard: inbyggt utdrag)."),
        title: str = typer.Option("", "--title", help="Rubrik i anteckningslistan."),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """Skapa ett utkast enligt en mall från en transkription och spara det (krypterat) för granskning."""
        current = settings()
        segments = read_transcript(transcript)
        with db_session(current) as session:
            _, who = cli_principal(session, org_slug=org)
            hub = _hub(session, who)
            loaded = workflow.create_from_transcript(
                session, who=who, key=workflow.notes_key(current), segments=segments, template=template,
                title=title or transcript.stem, hub=hub, provider=provider,
            )  # fmt: skip
            note_id, draft = loaded.row.id, loaded.note.draft
        if as_json:
            echo_json({"id": note_id, **draft.to_dict()})
        else:
            typer.echo(f"{draft.notice}\nId: {note_id}")
            for section in draft.sections:
                typer.echo(f"\n{section.title}\n{section.text}")

    @notes.command("list")
    @friendly_errors
    def list_cmd(
        org: str = typer.Option(..., "--org", help="Organisationens kod."),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut JSON."),
    ) -> None:
        """Lista organisationens anteckningar."""
        with db_session() as session:
            org_row, _ = cli_principal(session, org_slug=org)
            rows = [
                {"id": r.id, "title": r.title, "template": r.template, "status": r.status,
                 "created_at": r.created_at.isoformat(timespec="seconds"), "approved_by": r.approved_by_name}
                for r in workflow.list_notes(session, org_id=org_row.id)
            ]  # fmt: skip
        if as_json:
            echo_json(rows)
            return
        for row in rows:
            typer.echo(f"{row['id']}\t{row['template']}\t{row['status']}\t{row['created_at']}\t{row['title']}")
        if not rows:
            typer.echo("Inga anteckningar.")

    @notes.command("approve")
    @friendly_errors
    def approve_cmd(
        note_id: int = typer.Argument(..., help="Anteckningens id."),
        org: str = typer.Option(..., "--org", help="Organisationens kod."),
        user: str = typer.Option(..., "--user", help="Användarnamnet för den granskare som godkänner."),
    ) -> None:
        """Godkänn en anteckning som en namngiven användare med rollen granskare (loggas)."""
        current = settings()
        with db_session(current) as session:
            org_row, _ = cli_principal(session, org_slug=org)
            row = session.scalar(select(User).where(User.org_id == org_row.id, User.username == user))
            if row is None or not row.active:
                raise NotFound(f"Användaren {user} finns inte i organisationen {org}.")
            reviewer = principal_for(row, via="cli")
            if not reviewer.has_role(Role.REVIEWER):
                raise Forbidden(f"Användaren {user} har inte rollen granskare och kan inte godkänna anteckningar.")
            event = workflow.approve(
                session, who=reviewer, key=workflow.notes_key(current), note_id=note_id, settings=current
            )
        echo_json(event)

    @notes.command("export")
    @friendly_errors
    def export_cmd(
        note_id: int = typer.Argument(..., help="Anteckningens id."),
        org: str = typer.Option(..., "--org", help="Organisationens kod."),
        fmt: str = typer.Option(..., "--format", help=f"Format: {'|'.join(FORMATS)}."),
        out: Path = typer.Option(..., "--out", help="Fil att skriva."),
    ) -> None:
        """Exportera en anteckning; ej godkända anteckningar märks som utkast."""
        current = settings()
        with db_session(current) as session:
            _, who = cli_principal(session, org_slug=org)
            data, _name, _media = workflow.export(
                session, who=who, key=workflow.notes_key(current), note_id=note_id, fmt=fmt
            )
            try:
                out.write_bytes(data)
            except OSError as exc:
                raise InvalidInput(f"Filen {out} kunde inte skrivas ({exc.strerror}).") from exc
        typer.echo(str(out))

    @notes.command("retention")
    @friendly_errors
    def retention_cmd() -> None:
        """Radera ljud för godkända anteckningar och ljud äldre än gallringstiden (notes_retention_days)."""
        current = settings()
        with db_session(current) as session:
            removed = workflow.apply_retention(session, settings=current)
        typer.echo(f"{len(removed)} inspelningar raderades.")
