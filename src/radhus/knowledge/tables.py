"""Knowledge tables: collections, their shares, documents, crawl sources, assistants and the question log.

The passages and vectors themselves live in the embedded per-organisation index under the data directory;
these tables hold the metadata every page, command and job needs.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from radhus.core.db import Base, OrgScoped, Timestamps, UTCDateTime


class Collection(OrgScoped, Timestamps, Base):
    """A named set of documents of one organisation, with a data class and who may use it."""

    __tablename__ = "knowledge_collections"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_knowledge_collections_org_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    data_class: Mapped[str] = mapped_column(String(20), default="intern")
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    allowed_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)  # empty: everyone in the organisation
    allowed_units: Mapped[list[Any]] = mapped_column(JSON, default=list)
    allowed_users: Mapped[list[Any]] = mapped_column(JSON, default=list)

    @property
    def index_key(self) -> str:
        """The collection's id inside the organisation's search index."""
        return f"c{self.id}"


class CollectionShare(Timestamps, Base):
    """A collection shared read-only with another organisation (e.g. a federation with its members)."""

    __tablename__ = "knowledge_collection_shares"
    __table_args__ = (UniqueConstraint("collection_id", "org_id", name="uq_knowledge_shares_collection_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("knowledge_collections.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(Integer, ForeignKey("organisations.id"), index=True)  # shared with


class Document(OrgScoped, Timestamps, Base):
    """One file or web page of a collection, with its ingestion status."""

    __tablename__ = "knowledge_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("knowledge_collections.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(1000))  # file name or URL
    title: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | indexed | failed
    error: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int | None] = mapped_column(Integer, default=None)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    index_id: Mapped[str] = mapped_column(String(64), default="")  # document id inside the search index
    stored_path: Mapped[str] = mapped_column(String(1000), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class CrawlSource(OrgScoped, Timestamps, Base):
    """A website crawled into a collection, with the state that lets a re-crawl skip unchanged pages."""

    __tablename__ = "knowledge_crawl_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("knowledge_collections.id", ondelete="CASCADE"), index=True)
    start_urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    allowed_domains: Mapped[list[Any]] = mapped_column(JSON, default=list)
    max_depth: Mapped[int] = mapped_column(Integer, default=3)
    max_pages: Mapped[int] = mapped_column(Integer, default=200)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class Assistant(OrgScoped, Timestamps, Base):
    """A named staff assistant: instructions, collections, provider and who may use it."""

    __tablename__ = "knowledge_assistants"
    __table_args__ = (UniqueConstraint("org_id", "slug", name="uq_knowledge_assistants_org_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    collection_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    provider: Mapped[str | None] = mapped_column(String(100), default=None)
    allowed_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)  # empty: everyone in the organisation


class QuestionLog(OrgScoped, Timestamps, Base):
    """A question asked, its answer and citations, and the asker's rating."""

    __tablename__ = "knowledge_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assistant_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_assistants.id", ondelete="SET NULL"), default=None
    )
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_collections.id", ondelete="SET NULL"), default=None
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    abstained: Mapped[bool] = mapped_column(default=False)
    citations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rating: Mapped[int] = mapped_column(Integer, default=0)  # -1, 0, 1
    comment: Mapped[str] = mapped_column(Text, default="")
