"""Periodic jobs: enqueued once per organisation when due, never twice when several workers look at the same
moment, and run by real worker threads."""

import datetime as dt
import threading
import time

from sqlalchemy import func, select

from radhus.core import jobs
from radhus.core.db import make_engine, make_session_factory, utcnow
from radhus.core.jobs import Job, JobSchedule, JobStatus, PeriodicJob

HOURLY = PeriodicJob(kind="test.tick", every=dt.timedelta(hours=1), title="Tick")


def _count(session_factory, kind: str = "test.tick") -> dict[int, int]:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        rows = session.execute(select(Job.org_id, func.count()).where(Job.kind == kind).group_by(Job.org_id)).all()
    return {org_id: count for org_id, count in rows}


def _orgs(two_orgs) -> set[int]:  # type: ignore[no-untyped-def]
    return {two_orgs["a"]["org_id"], two_orgs["b"]["org_id"]}


def test_due_job_is_enqueued_once_per_organisation_and_again_after_its_interval(session_factory, two_orgs):
    now = utcnow()
    first = jobs.enqueue_due_periodic(session_factory, [HOURLY], now=now)
    assert len(first) == 2 and _count(session_factory) == dict.fromkeys(_orgs(two_orgs), 1)
    assert jobs.enqueue_due_periodic(session_factory, [HOURLY], now=now + dt.timedelta(minutes=59)) == []
    with session_factory() as session:
        schedules = session.scalars(select(JobSchedule)).all()
        assert {s.last_job_id for s in schedules} == set(first)
        assert all(s.next_run_at == now + HOURLY.every for s in schedules)
    # the first run is still queued: one waiting job is enough, but the schedule moves on
    assert jobs.enqueue_due_periodic(session_factory, [HOURLY], now=now + dt.timedelta(minutes=61)) == []
    jobs.run_until_idle(session_factory, {"test.tick": lambda ctx: {"org": ctx.org_id}}, backoff_seconds=0)
    later = jobs.enqueue_due_periodic(session_factory, [HOURLY], now=now + dt.timedelta(hours=2, minutes=2))
    assert len(later) == 2 and _count(session_factory) == dict.fromkeys(_orgs(two_orgs), 2)
    with session_factory() as session:
        payloads = session.scalars(select(Job.payload).where(Job.id.in_(later))).all()
        assert payloads == [{"periodic": True}] * 2


def test_many_workers_at_the_same_moment_enqueue_each_run_once(settings, session_factory, two_orgs):
    engines = [make_engine(settings.resolved_database_url) for _ in range(4)]
    factories = [make_session_factory(engine) for engine in engines]
    start = threading.Barrier(len(factories), timeout=30)
    created: list[list[int]] = []
    errors: list[BaseException] = []
    now = utcnow()

    def look(factory) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            for step in range(3):  # the same moment, then twice more while the others are still at it
                created.append(jobs.enqueue_due_periodic(factory, [HOURLY], now=now + dt.timedelta(seconds=step)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=look, args=(factory,)) for factory in factories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines:
        engine.dispose()
    assert not errors, errors
    assert sum(len(ids) for ids in created) == 2
    assert _count(session_factory) == dict.fromkeys(_orgs(two_orgs), 1)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(JobSchedule)) == 2


def test_worker_threads_run_a_periodic_job_by_themselves(settings, session_factory, two_orgs):
    seen: list[int] = []
    handlers = {"test.tick": lambda ctx: seen.append(ctx.org_id) or {"ok": True}}
    engines = [make_engine(settings.resolved_database_url) for _ in range(2)]
    workers = [
        jobs.Worker(
            make_session_factory(engine),
            handlers,
            backoff_seconds=0,
            poll_seconds=0.05,
            periodic=[HOURLY],
            schedule_seconds=0.05,
        )  # fmt: skip
        for engine in engines
    ]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(seen) < 2:
            time.sleep(0.05)
        time.sleep(0.5)  # both workers go on checking the schedule meanwhile
    finally:
        for worker in workers:
            worker.stop()
        for engine in engines:
            engine.dispose()
    assert sorted(seen) == sorted(_orgs(two_orgs))
    with session_factory() as session:
        statuses = session.scalars(select(Job.status).where(Job.kind == "test.tick")).all()
    assert statuses == [JobStatus.DONE, JobStatus.DONE]


def test_a_worker_without_the_handler_does_not_schedule_it(session_factory, two_orgs):
    worker = jobs.Worker(session_factory, {}, backoff_seconds=0, periodic=[HOURLY], schedule_seconds=0)
    assert worker.periodic == []
    assert jobs.enqueue_due_periodic(session_factory, []) == []
    assert _count(session_factory) == {}
