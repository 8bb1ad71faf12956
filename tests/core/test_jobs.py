"""Background jobs: progress, retries with backoff, permanent failures, cancellation."""

import time

import pytest

from radhus.core import jobs
from radhus.core.db import transaction
from radhus.core.errors import NotFound
from radhus.core.jobs import JobStatus, PermanentJobError


def _enqueue(session_factory, org_id, kind, payload=None, max_attempts=3):  # type: ignore[no-untyped-def]
    with transaction(session_factory) as session:
        return jobs.enqueue(
            session, org_id=org_id, kind=kind, title=kind, payload=payload or {}, max_attempts=max_attempts
        ).id


def _job(session_factory, org_id, job_id):  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return jobs.get_job(session, org_id=org_id, job_id=job_id)


def test_progress_and_result_are_stored(session_factory, two_orgs):
    org_id = two_orgs["a"]["org_id"]
    seen = []

    def count(ctx):  # type: ignore[no-untyped-def]
        for step in range(1, 4):
            ctx.progress(step / 3, f"steg {step}")
            seen.append(step)
        return {"total": ctx.payload["n"] * 2}

    job_id = _enqueue(session_factory, org_id, "count", {"n": 21})
    jobs.run_until_idle(session_factory, {"count": count}, backoff_seconds=0)
    job = _job(session_factory, org_id, job_id)
    assert job.status == JobStatus.DONE and job.result == {"total": 42} and job.progress == 1.0
    assert seen == [1, 2, 3]


def test_failures_are_retried_with_backoff_then_marked_failed(session_factory, two_orgs):
    org_id = two_orgs["a"]["org_id"]
    calls = []

    def flaky(ctx):  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        raise RuntimeError("tillfälligt fel")

    job_id = _enqueue(session_factory, org_id, "flaky", max_attempts=3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _job(session_factory, org_id, job_id).status != JobStatus.FAILED:
        jobs.run_until_idle(session_factory, {"flaky": flaky}, backoff_seconds=0.05)
        time.sleep(0.02)
    job = _job(session_factory, org_id, job_id)
    assert job.status == JobStatus.FAILED and job.attempts == 3 and "tillfälligt fel" in job.error
    assert len(calls) == 3 and calls[2] - calls[1] >= 0.09  # second wait doubles the first


def test_permanent_error_fails_at_once_and_retry_requeues(session_factory, two_orgs):
    org_id = two_orgs["a"]["org_id"]

    def bad_input(ctx):  # type: ignore[no-untyped-def]
        raise PermanentJobError("Filen är skadad.")

    job_id = _enqueue(session_factory, org_id, "bad")
    jobs.run_until_idle(session_factory, {"bad": bad_input}, backoff_seconds=0)
    job = _job(session_factory, org_id, job_id)
    assert job.status == JobStatus.FAILED and job.attempts == 1 and job.error == "Filen är skadad."
    with transaction(session_factory) as session:
        jobs.retry(session, org_id=org_id, job_id=job_id)
    assert _job(session_factory, org_id, job_id).status == JobStatus.QUEUED


def test_cancel_running_job_stops_at_next_progress(session_factory, two_orgs):
    org_id = two_orgs["a"]["org_id"]
    steps = []

    def long_job(ctx):  # type: ignore[no-untyped-def]
        for step in range(100):
            if step == 2:
                with transaction(session_factory) as session:
                    jobs.cancel(session, org_id=org_id, job_id=ctx.job_id)
            ctx.progress(step / 100)
            steps.append(step)

    job_id = _enqueue(session_factory, org_id, "long")
    jobs.run_until_idle(session_factory, {"long": long_job}, backoff_seconds=0)
    assert _job(session_factory, org_id, job_id).status == JobStatus.CANCELLED
    assert steps == [0, 1]


def test_other_organisations_jobs_are_invisible(session_factory, two_orgs):
    job_id = _enqueue(session_factory, two_orgs["b"]["org_id"], "x")
    with session_factory() as session:
        assert jobs.list_jobs(session, org_id=two_orgs["a"]["org_id"]) == []
        with pytest.raises(NotFound) as error:
            jobs.get_job(session, org_id=two_orgs["a"]["org_id"], job_id=job_id)
        assert "finns inte" in str(error.value)


def test_embedded_worker_thread_runs_jobs(session_factory, two_orgs):
    org_id = two_orgs["a"]["org_id"]
    worker = jobs.Worker(
        session_factory, {"echo": lambda ctx: {"echo": ctx.payload["v"]}}, backoff_seconds=0, poll_seconds=0.05
    )
    worker.start()
    try:
        job_id = _enqueue(session_factory, org_id, "echo", {"v": "hej"})
        worker.wake()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _job(session_factory, org_id, job_id).status != JobStatus.DONE:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert _job(session_factory, org_id, job_id).result == {"echo": "hej"}


def test_several_workers_run_each_job_exactly_once(settings, session_factory, two_orgs):
    from radhus.core.db import make_engine, make_session_factory

    org_id = two_orgs["a"]["org_id"]
    job_ids = {_enqueue(session_factory, org_id, "test.count") for _ in range(40)}
    runs: list[int] = []
    handlers = {"test.count": lambda ctx: runs.append(ctx.job_id) or {}}
    engines = [make_engine(settings.resolved_database_url) for _ in range(4)]
    workers = [jobs.Worker(make_session_factory(e), handlers, backoff_seconds=0, poll_seconds=0.01) for e in engines]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(set(runs)) < len(job_ids):
            time.sleep(0.05)
        time.sleep(0.3)  # a duplicate run would show up meanwhile
    finally:
        for worker in workers:
            worker.stop()
        for engine in engines:
            engine.dispose()
    assert sorted(runs) == sorted(job_ids)
