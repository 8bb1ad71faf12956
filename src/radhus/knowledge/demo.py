"""Demo content for `radhus serve --demo`: Exempelkommun's own (fictitious) routines in three collections and
three assistants over them. Passages are indexed lexically at once; vectors come from a queued background job.

A demo document written as `<name>.pdf.md` is typeset as a PDF when installed (a page break at each
`<!-- sida -->`), so the demo also shows PDF citations opening on their page."""

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from radhus.core import jobs
from radhus.core.auth import Role, User, principal_for
from radhus.knowledge import jobs as knowledge_jobs
from radhus.knowledge import platform
from radhus.knowledge.parsers import parse_markdown
from radhus.knowledge.tables import Assistant, Document

DEMO_DIR = Path(__file__).parent / "demo_docs"
PAGE_BREAK = "<!-- sida -->"
DEMO_COLLECTIONS = {
    "forskola": ("intern", "Rutiner för förskolan.", ["vikarierutin-forskola.md"]),
    "hemtjanst": (
        "intern",
        "Rutiner för hemtjänsten.",
        ["hemtjanst-nyckelhantering.md", "riktlinje-trygghetslarm.pdf"],
    ),
    "ifo": ("intern", "Handläggning inom individ- och familjeomsorgen.", ["ekonomiskt-bistand-handlaggning.md"]),
}
DEMO_ASSISTANTS = [
    ("rektorsassistent", "Rektorsassistent", "Stöd för rektorer och förskolechefer i förskolans rutiner.",
     ["forskola"], ["redaktor", "medarbetare"]),
    ("vikarieassistent", "Vikarieassistent", "Hjälper vikarier att hitta rätt rutin under arbetsdagen.",
     ["forskola", "hemtjanst"], []),
    ("handlaggarstod", "Handläggarstöd", "Stöd för handläggare i ekonomiskt bistånd; svaret ersätter inte bedömningen.",
     ["ifo"], ["medarbetare", "granskare"]),
]  # fmt: skip


def install_demo(session: Session, *, org_id: int, ctx: Any) -> None:
    """Create the demo collections, documents and assistants (idempotent)."""
    admin = session.scalar(
        select(User).where(User.org_id == org_id, User.roles.contains(Role.ADMIN.value)).order_by(User.id)
    )
    if admin is None:
        return
    who = principal_for(admin, via="cli")
    store = platform.shared_store(ctx.settings, ctx.services)
    collections = {}
    added = 0
    for name, (data_class, description, files) in DEMO_COLLECTIONS.items():
        collection = platform.ensure_collection(session, who, name=name, data_class=data_class)
        collection.description = collection.description or description
        collections[name] = collection
        for file_name in files:
            exists = session.scalar(
                select(Document).where(Document.collection_id == collection.id, Document.source == file_name)
            )
            if exists is not None and exists.status == "indexed":
                continue
            document = platform.add_local_file(session, who, settings=ctx.settings, collection=collection,
                                               path=_demo_file(file_name, ctx.settings.data_dir))  # fmt: skip
            platform.index_stored_document(store=store, document=document, collection=collection,
                                           max_bytes=ctx.settings.max_upload_mb * 1024 * 1024)  # fmt: skip
            added += 1
    for slug, name, instructions, names, roles in DEMO_ASSISTANTS:
        existing = session.scalar(select(Assistant).where(Assistant.org_id == org_id, Assistant.slug == slug))
        if existing is None:
            platform.save_assistant(session, who, slug=slug, name=name, instructions=instructions,
                                    collection_ids=[collections[n].id for n in names],
                                    allowed_roles=roles)  # fmt: skip
    if added and store.embedder is not None:
        jobs.enqueue(session, org_id=org_id, kind=knowledge_jobs.EMBED, title="Beräkna vektorer för demodokumenten",
                     payload={})  # fmt: skip


def _demo_file(name: str, data_dir: Path) -> Path:
    """The shipped demo document, or for a PDF one typeset from its Markdown source into the data directory."""
    if not name.endswith(".pdf"):
        return DEMO_DIR / name
    target = Path(data_dir) / "demo" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(markdown_pdf((DEMO_DIR / f"{name}.md").read_text(encoding="utf-8")))
    return target


def markdown_pdf(text: str) -> bytes:
    """A plain A4 PDF of Markdown as the Markdown parser reads it: headings, paragraphs and lists, with a page break
    at each `<!-- sida -->`."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    parsed = parse_markdown(text.encode("utf-8"), "demo.md")
    story: list = []
    for block in parsed.blocks:
        if block.text == PAGE_BREAK:
            story.append(PageBreak())
        elif block.kind == "heading":
            story.append(Paragraph(block.text, styles["Title" if block.level == 1 else "Heading2"]))
        else:
            story += [Paragraph(block.text, styles["BodyText"]), Spacer(1, 6)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=parsed.title).build(story)
    return out.getvalue()
