"""Demo content for `radhus serve --demo`: Exempelkommun's own (fictitious) routines in three collections."""

from pathlib import Path

from sqlalchemy.orm import Session

from radhus.core.orgs import Organisation
from radhus.knowledge import service

DEMO_DIR = Path(__file__).parent / "demo_docs"
DEMO_COLLECTIONS = {
    "forskola": ("intern", ["vikarierutin-forskola.md"]),
    "hemtjanst": ("intern", ["hemtjanst-nyckelhantering.md"]),
    "ifo": ("intern", ["ekonomiskt-bistand-handlaggning.md"]),
}


def install_demo(session: Session, *, org_id: int, ctx) -> None:  # type: ignore[no-untyped-def]
    """Index the demo documents (lexical at once; vectors are added by search on first use)."""
    org = session.get(Organisation, org_id)
    assert org is not None
    store = service.KnowledgeStore(data_dir=ctx.settings.data_dir, embedder=None)
    try:
        for collection, (data_class, files) in DEMO_COLLECTIONS.items():
            service.ingest_paths(store=store, org=org.slug, collection=collection, data_class=data_class,
                                 paths=[DEMO_DIR / name for name in files], embed=False)  # fmt: skip
    finally:
        store.close()
