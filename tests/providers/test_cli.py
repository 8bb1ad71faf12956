"""`radhus providers check` and the radhus.toml loader."""

import json

import pytest
from typer.testing import CliRunner

from radhus.cli import app
from radhus.core.errors import InvalidInput
from radhus.providers.cli import load_providers_config

runner = CliRunner()


def _write_config(tmp_path, url: str):
    path = tmp_path / "radhus.toml"
    path.write_text(
        f"""
[providers.chat.moln]
kind = "openai"
base_url = "{url}"
model = "test-model"
api_key_env = "MOLN_API_KEY"
max_data_class = "oppen"

[defaults]
chat = "moln"
""",
        encoding="utf-8",
    )
    return path


def test_loader_reads_exact_documented_shape(tmp_path, monkeypatch):
    path = _write_config(tmp_path, "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("RADHUS_CONFIG", str(path))
    config = load_providers_config(None)
    moln = config.providers.chat["moln"]
    assert (moln.kind, moln.model, moln.api_key_env, moln.max_data_class.value) == (
        "openai", "test-model", "MOLN_API_KEY", "oppen",
    )  # fmt: skip
    assert config.defaults.chat == "moln"


def test_loader_errors_are_swedish(tmp_path):
    with pytest.raises(InvalidInput, match="finns inte"):
        load_providers_config(tmp_path / "saknas.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('[providers.chat.x]\nkind = "openai"\nmax_data_class = "hemlig"\n')
    with pytest.raises(InvalidInput, match="Fel i modellkonfigurationen"):
        load_providers_config(bad)


def test_check_json_against_loopback_server(tmp_path, monkeypatch, openai_server):
    monkeypatch.setenv("MOLN_API_KEY", "k")
    path = _write_config(tmp_path, openai_server.url)
    result = runner.invoke(app, ["providers", "check", "--config", str(path), "--json"])
    rows = json.loads(result.stdout)
    moln = next(r for r in rows if r["name"] == "moln")
    assert moln["status"] == "ok" and moln["max_data_class"] == "oppen" and moln["default"] is True
    assert openai_server.received[0]["headers"]["Authorization"] == "Bearer k"


def test_check_table_exit_code_on_error(tmp_path, monkeypatch):
    monkeypatch.delenv("MOLN_API_KEY", raising=False)
    path = _write_config(tmp_path, "http://127.0.0.1:9/v1")
    result = runner.invoke(app, ["providers", "check", "--config", str(path)])
    assert result.exit_code == 1
    assert "MOLN_API_KEY" in result.stdout and "namn" in result.stdout
