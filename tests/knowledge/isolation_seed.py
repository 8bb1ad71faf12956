"""Knowledge data of one organisation for the isolation test: a collection, an indexed document (real file and
index passages), an assistant, a crawl source and a rated question, all carrying the marker in visible text.
(An assistant's name is public by design on the transparency page, so the marker is in its instructions.)"""

from pathlib import Path

from sqlalchemy import select

from radhus.core.auth import Role, User, principal_for
from radhus.knowledge import platform
from radhus.knowledge.tables import CrawlSource, QuestionLog


def seed(session, *, org_id: int, marker: str, settings) -> None:  # type: ignore[no-untyped-def]
    admin = session.scalar(
        select(User).where(User.org_id == org_id, User.roles.contains(Role.ADMIN.value)).order_by(User.id)
    )
    who = principal_for(admin)
    collection = platform.create_collection(session, who, name=f"samling {marker}", description=marker)
    source = Path(settings.data_dir) / f"{marker}.md"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(f"# Rutin {marker}\n\nHemlig rutin {marker} om nycklar och larm.\n", encoding="utf-8")
    document = platform.add_local_file(session, who, settings=settings, collection=collection, path=source)
    store = platform.make_store(settings.model_copy(update={"knowledge_embedder": "none"}))
    try:
        platform.index_stored_document(store=store, document=document, collection=collection, max_bytes=10**6)
    finally:
        store.close()
    platform.save_assistant(session, who, slug="hemlig", name="Hemlig assistent", instructions=marker,
                            collection_ids=[collection.id])  # fmt: skip
    session.add(CrawlSource(org_id=org_id, collection_id=collection.id, start_urls=[f"https://{marker}.example/"]))
    session.add(QuestionLog(org_id=org_id, collection_id=collection.id, user_id=admin.id, question=marker,
                            answer=marker, abstained=True, rating=-1, comment=marker))  # fmt: skip
    session.flush()
