"""`radhus ingest/search/ask/eval` end to end through the real Typer app on the platform database (lexical-only)."""

import json

import pytest
from typer.testing import CliRunner

from radhus.cli import app

DOC = """# Riktlinje för skolskjuts

## Rätt till skolskjuts

Elever i grundskolan har rätt till skolskjuts om avståndet till skolan är längre än tre kilometer.

## Ansökan

Ansökan om skolskjuts görs i e-tjänsten senast den 1 juni inför läsåret.
"""


@pytest.fixture
def env(tmp_path, monkeypatch, settings, two_orgs):
    monkeypatch.setenv("RADHUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RADHUS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RADHUS_KNOWLEDGE_EMBEDDER", "none")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "skolskjuts.md").write_text(DOC, encoding="utf-8")
    (docs / "trasig.pdf").write_bytes(b"%PDF-1.4 trasig")
    return tmp_path, docs


def _ingest_ok(runner, docs):
    result = runner.invoke(app, ["ingest", "--org", "alfakommun", "--collection", "skola", str(docs / "skolskjuts.md")])
    assert result.exit_code == 0, result.output


def test_ingest_reports_failed_file_and_keeps_the_rest(env):
    _, docs = env
    runner = CliRunner()
    result = runner.invoke(
        app, ["ingest", "--org", "alfakommun", "--collection", "skola", "--data-class", "oppen", str(docs)]
    )
    assert result.exit_code == 1
    assert "trasig.pdf" in result.output and "skadad" in result.output
    search = runner.invoke(
        app, ["search", "--org", "alfakommun", "--collection", "skola", "--json", "skolskjuts avstånd"]
    )
    assert search.exit_code == 0
    results = json.loads(search.output)["results"]
    assert results[0]["rank"] == 1 and results[0]["document"] == "skolskjuts.md"
    assert results[0]["title"] == "Riktlinje för skolskjuts" and "tre kilometer" in results[0]["text"]
    assert set(results[0]) == {"rank", "document", "title", "chunk_id", "text", "score"}


def test_search_batch_and_top_k(env):
    tmp_path, docs = env
    runner = CliRunner()
    _ingest_ok(runner, docs)
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "När ska ansökan göras?"}\n{"id": 7, "question": "skolskjuts"}\n')
    result = runner.invoke(
        app, ["search", "--org", "alfakommun", "--collection", "skola", "--top-k", "1", "--batch", str(batch)]
    )
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [line["id"] for line in lines] == ["a", 7] and all(len(line["results"]) == 1 for line in lines)


def test_ask_answers_with_citations_or_abstains(env):
    _, docs = env
    runner = CliRunner()
    _ingest_ok(runner, docs)
    args = ["ask", "--org", "alfakommun", "--collection", "skola", "--json"]
    answer = json.loads(runner.invoke(app, [*args, "När ska ansökan om skolskjuts göras?"]).output)
    assert answer["abstained"] is False and "1 juni" in answer["answer"]
    assert answer["citations"][0]["document"] == "skolskjuts.md"
    none = json.loads(runner.invoke(app, [*args, "Vad kostar parkering vid stadshuset?"]).output)
    assert none == {"answer": "Jag hittar inget stöd för det i dokumenten.", "abstained": True, "citations": []}
    provider = runner.invoke(app, [*args, "--provider", "moln", "Fråga?"])
    assert provider.exit_code != 0 and "moln" in provider.output


def test_eval_prints_metrics(env):
    tmp_path, docs = env
    runner = CliRunner()
    _ingest_ok(runner, docs)
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        '{"id": "1", "question": "Hur långt måste avståndet vara för skolskjuts?", "evidence": "tre kilometer"}\n'
        '{"id": "2", "question": "Vilken färg har stadshusets tak?", "evidence": null}\n'
    )
    result = runner.invoke(app, ["eval", "--org", "alfakommun", "--collection", "skola", "--qa", str(qa), "--json"])
    report = json.loads(result.output)
    assert report["recall@1"] == 1.0 and report["mrr@10"] == 1.0 and report["unanswerable_abstained"] == 1.0


def test_unknown_collection_and_bad_names(env):
    runner = CliRunner()
    result = runner.invoke(app, ["search", "--org", "alfakommun", "--collection", "saknas", "--json", "x"])
    assert result.exit_code == 2 and "finns inte" in result.output
    bad = runner.invoke(app, ["ingest", "--org", "alfakommun", "--collection", "../etc", "nofile"])
    assert bad.exit_code != 0 and "ogiltigt" in bad.output
    unknown_org = runner.invoke(app, ["search", "--org", "okandkommun", "--collection", "skola", "--json", "x"])
    assert unknown_org.exit_code == 2 and "finns inte" in unknown_org.output


def test_other_organisation_cannot_reach_the_collection(env, session_factory):
    from sqlalchemy import func, select

    from radhus.core.audit import AuditRecord

    _, docs = env
    runner = CliRunner()
    _ingest_ok(runner, docs)
    for command in (["search", "--json", "skolskjuts"], ["ask", "--json", "skolskjuts"]):
        result = runner.invoke(app, [command[0], "--org", "betakommun", "--collection", "skola", *command[1:]])
        assert result.exit_code == 2 and "Samlingen skola finns inte." in result.output
        assert "tre kilometer" not in result.output
    with session_factory() as session:
        before = session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.kind == "ai_call"))
    ok = runner.invoke(app, ["ask", "--org", "alfakommun", "--collection", "skola", "--json", "Hur ansöker man?"])
    assert ok.exit_code == 0, ok.output
    with session_factory() as session:
        records = session.scalars(select(AuditRecord).where(AuditRecord.kind == "ai_call")).all()
    assert len(records) == before + 1
    assert records[-1].provider == "inbyggd" and records[-1].model == "extraktiv"
