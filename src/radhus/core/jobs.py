"""Background jobs: persisted state, retries with backoff, cancellation, progress and periodic jobs.

The embedded worker is a thread in the web process. `radhus worker` runs the same loop as its own process;
on PostgreSQL several workers claim jobs safely with SKIP LOCKED, which is the seam a broker can take over.
Periodic jobs (declared by a domain's jobs module as `PERIODIC`) are enqueued by whichever worker first finds
one due: a compare-and-set on its row in `job_schedule` lets exactly one worker win each run.
"""

import datetime as dt
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from radhus.core.db import Base, OrgScoped, Timestamps, UTCDateTime, utcnow
from radhus.core.errors import Conflict, NotFound, RadhusError

log = logging.getLogger(__name__)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label_sv(self) -> str:
        return {
            "queued": "i kö",
            "running": "pågår",
            "done": "klar",
            "failed": "misslyckades",
            "cancelled": "avbruten",
        }[self.value]


class Job(OrgScoped, Timestamps, Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED, index=True)
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict | None] = mapped_column(JSON, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class JobSchedule(OrgScoped, Base):
    """When a periodic job is next due for an organisation, and the job last enqueued for it."""

    __tablename__ = "job_schedule"
    __table_args__ = (UniqueConstraint("org_id", "kind", name="uq_job_schedule_org_id_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    next_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    last_job_id: Mapped[int | None] = mapped_column(Integer, default=None)


@dataclass(frozen=True)
class PeriodicJob:
    """A job kind that runs by itself for every organisation, once per `every`."""

    kind: str
    every: dt.timedelta
    title: str


class JobCancelled(Exception):
    """Raised inside a handler when the job was cancelled; the worker marks it cancelled."""


class PermanentJobError(RadhusError):
    """A failure that retrying cannot fix (bad input): the job fails at once with this message."""


@dataclass
class JobContext:
    """What a handler gets: the job's id, organisation and payload, and ways to report progress."""

    job_id: int
    org_id: int
    payload: dict[str, Any]
    session_factory: sessionmaker[Session]

    def progress(self, fraction: float, message: str = "") -> None:
        """Store progress (0–1) and raise JobCancelled if someone cancelled the job meanwhile."""
        with self.session_factory() as session:
            job = session.get(Job, self.job_id)
            assert job is not None
            if job.cancel_requested:
                raise JobCancelled()
            job.progress = max(0.0, min(1.0, fraction))
            if message:
                job.message = message
            session.commit()


Handler = Callable[[JobContext], dict[str, Any] | None]


def enqueue(
    session: Session,
    *,
    org_id: int,
    kind: str,
    title: str,
    payload: dict[str, Any],
    user_id: int | None = None,
    max_attempts: int = 3,
) -> Job:
    job = Job(org_id=org_id, kind=kind, title=title, payload=payload, created_by=user_id, max_attempts=max_attempts)
    session.add(job)
    session.flush()
    return job


def list_jobs(session: Session, *, org_id: int, limit: int = 100) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.org_id == org_id).order_by(Job.id.desc()).limit(limit)))


def get_job(session: Session, *, org_id: int, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.org_id != org_id:
        raise NotFound(f"Jobb {job_id} finns inte.")
    return job


def cancel(session: Session, *, org_id: int, job_id: int) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next progress report."""
    job = get_job(session, org_id=org_id, job_id=job_id)
    if job.status == JobStatus.QUEUED:
        job.status, job.finished_at, job.message = JobStatus.CANCELLED, utcnow(), "Avbrutet innan start."
    elif job.status == JobStatus.RUNNING:
        job.cancel_requested = True
    else:
        raise Conflict(f"Jobbet är redan {JobStatus(job.status).label_sv}.")
    session.flush()
    return job


def retry(session: Session, *, org_id: int, job_id: int) -> Job:
    """Queue a failed or cancelled job again."""
    job = get_job(session, org_id=org_id, job_id=job_id)
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise Conflict("Bara misslyckade eller avbrutna jobb kan köras om.")
    job.status, job.attempts, job.error, job.cancel_requested = JobStatus.QUEUED, 0, None, False
    job.run_after, job.progress = utcnow(), 0.0
    session.flush()
    return job


def _claim_next(session: Session, kinds: set[str]) -> Job | None:
    stmt = (
        select(Job)
        .where(Job.status == JobStatus.QUEUED, Job.run_after <= utcnow(), Job.kind.in_(kinds))
        .order_by(Job.id)
        .limit(1)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    job = session.scalar(stmt)
    if job is None:
        return None
    # Compare-and-set: on SQLite (no SKIP LOCKED) another worker process may have read the same job meanwhile.
    claimed = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow(), attempts=Job.attempts + 1)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(job)
    return job


def run_one(factory: sessionmaker[Session], handlers: dict[str, Handler], *, backoff_seconds: float) -> bool:
    """Claim and run one due job; returns False when none was waiting."""
    with factory() as session:
        job = _claim_next(session, set(handlers))
        if job is None:
            return False
        job_id, org_id, kind, payload = job.id, job.org_id, job.kind, dict(job.payload)
    context = JobContext(job_id=job_id, org_id=org_id, payload=payload, session_factory=factory)
    try:
        result = handlers[kind](context)
    except JobCancelled:
        _finish(factory, job_id, JobStatus.CANCELLED, message="Avbrutet.")
    except PermanentJobError as exc:
        _finish(factory, job_id, JobStatus.FAILED, error=exc.message)
    except Exception as exc:  # a handler failure must never stop the worker
        log.warning("job %s failed: %s", job_id, traceback.format_exc())
        _fail_or_retry(factory, job_id, exc, backoff_seconds)
    else:
        _finish(factory, job_id, JobStatus.DONE, result=result or {}, progress=1.0)
    return True


def _finish(factory: sessionmaker[Session], job_id: int, status: JobStatus, **fields: Any) -> None:
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.finished_at = status, utcnow()
        for name, value in fields.items():
            setattr(job, name, value)
        session.commit()


def _fail_or_retry(factory: sessionmaker[Session], job_id: int, exc: Exception, backoff_seconds: float) -> None:
    reason = exc.message if isinstance(exc, RadhusError) else f"{type(exc).__name__}: {exc}"
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.error = reason
        if job.attempts < job.max_attempts and not job.cancel_requested:
            job.status = JobStatus.QUEUED
            job.run_after = utcnow() + dt.timedelta(seconds=backoff_seconds * 2 ** (job.attempts - 1))
            job.message = f"Försök {job.attempts} misslyckades; försöker igen."
        else:
            job.status, job.finished_at = JobStatus.FAILED, utcnow()
        session.commit()


def run_until_idle(
    factory: sessionmaker[Session], handlers: dict[str, Handler], *, backoff_seconds: float, max_jobs: int = 1000
) -> int:
    """Run due jobs until none is waiting (used by the CLI and tests); returns how many ran."""
    ran = 0
    while ran < max_jobs and run_one(factory, handlers, backoff_seconds=backoff_seconds):
        ran += 1
    return ran


def enqueue_due_periodic(
    factory: sessionmaker[Session], periodic: list[PeriodicJob], *, now: dt.datetime | None = None
) -> list[int]:
    """Enqueue each periodic job that is due, once per organisation, even when several workers do this at the
    same moment; returns the new jobs' ids. A new organisation or kind is due at once."""
    if not periodic:
        return []
    now = now or utcnow()
    by_kind = {p.kind: p for p in periodic}
    _add_missing_schedules(factory, list(by_kind), now=now)
    with factory() as session:
        due = [
            (row.id, row.org_id, row.kind, row.next_run_at)
            for row in session.scalars(
                select(JobSchedule).where(JobSchedule.kind.in_(by_kind), JobSchedule.next_run_at <= now)
            )
        ]
    created = []
    for schedule_id, org_id, kind, seen in due:
        job_id = _claim_periodic(factory, schedule_id, org_id, by_kind[kind], seen=seen, now=now)
        if job_id is not None:
            created.append(job_id)
    return created


def _add_missing_schedules(factory: sessionmaker[Session], kinds: list[str], *, now: dt.datetime) -> None:
    from radhus.core.orgs import Organisation

    with factory() as session:
        present = {(org_id, kind) for org_id, kind in session.execute(select(JobSchedule.org_id, JobSchedule.kind))}
        org_ids = list(session.scalars(select(Organisation.id)))
        missing = [(org_id, kind) for org_id in org_ids for kind in kinds if (org_id, kind) not in present]
        if not missing:
            return
        for org_id, kind in missing:
            session.add(JobSchedule(org_id=org_id, kind=kind, next_run_at=now))
        try:
            session.commit()
        except (IntegrityError, OperationalError):  # another worker added them meanwhile
            session.rollback()


def _claim_periodic(
    factory: sessionmaker[Session],
    schedule_id: int,
    org_id: int,
    job: PeriodicJob,
    *,
    seen: dt.datetime,
    now: dt.datetime,
) -> int | None:
    """Move the schedule on only if it still holds the time this worker saw (compare-and-set), and enqueue the job
    in the same transaction; None when another worker got there first."""
    with factory() as session:
        try:
            moved = session.execute(
                update(JobSchedule)
                .where(JobSchedule.id == schedule_id, JobSchedule.next_run_at == seen)
                .values(next_run_at=now + job.every)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return None
            waiting = session.scalar(
                select(Job.id).where(
                    Job.org_id == org_id,
                    Job.kind == job.kind,
                    Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
                )
            )
            if waiting is not None:  # the last run has not even started: one in the queue is enough
                session.commit()
                return None
            created = enqueue(session, org_id=org_id, kind=job.kind, title=job.title, payload={"periodic": True})
            session.execute(update(JobSchedule).where(JobSchedule.id == schedule_id).values(last_job_id=created.id))
            session.commit()
            return created.id
        except OperationalError:  # SQLite: another worker wrote first; its run counts
            session.rollback()
            return None


class Worker:
    """A polling worker loop, in a thread (embedded) or as the main loop of `radhus worker`; it also enqueues
    the periodic jobs when they are due (checked every `schedule_seconds`)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        handlers: dict[str, Handler],
        *,
        backoff_seconds: float,
        poll_seconds: float = 0.5,
        periodic: list[PeriodicJob] | None = None,
        schedule_seconds: float = 60.0,
    ) -> None:
        self.factory, self.handlers = factory, handlers
        self.backoff_seconds, self.poll_seconds = backoff_seconds, poll_seconds
        self.periodic = [p for p in periodic or [] if p.kind in handlers]
        self.schedule_seconds = schedule_seconds
        self._next_schedule_check = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def _enqueue_periodic(self) -> None:
        if not self.periodic or time.monotonic() < self._next_schedule_check:
            return
        self._next_schedule_check = time.monotonic() + self.schedule_seconds
        enqueue_due_periodic(self.factory, self.periodic)

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self._enqueue_periodic()
                busy = run_one(self.factory, self.handlers, backoff_seconds=self.backoff_seconds)
            except Exception:  # the database may be briefly unreachable; keep the worker alive
                log.exception("job worker error")
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="radhus-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
