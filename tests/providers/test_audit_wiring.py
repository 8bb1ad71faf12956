"""Provider calls land in the hash-chained audit log: answered, refused and redacted calls alike."""

import pytest

from radhus.core import audit
from radhus.core.audit import AuditRecord
from radhus.core.errors import DataClassRefused
from radhus.core.privacy import DataClass
from radhus.providers.config import ProvidersConfig
from radhus.providers.routing import OrgPolicy, ProviderHub

from .conftest import openai_config


def _hub(server, session_factory, org_id, *, redact: bool) -> ProviderHub:  # type: ignore[no-untyped-def]
    config = ProvidersConfig(
        providers={"chat": {"moln": openai_config(server.url, max_data_class="oppen")}}, defaults={"chat": "moln"}
    )
    recorder = audit.ai_call_recorder(session_factory, org_id=org_id, user_id=None, username="handlaggare@alfa")
    return ProviderHub(config, audit=recorder, policy=OrgPolicy(redact_then_send=redact))


def test_calls_are_audited_and_the_chain_verifies(openai_server, session_factory, two_orgs):
    org_id = two_orgs["a"]["org_id"]
    hub = _hub(openai_server, session_factory, org_id, redact=False)
    hub.chat([{"role": "user", "content": "När öppnar biblioteket?"}], data_class=DataClass.OPPEN)
    with pytest.raises(DataClassRefused):
        hub.chat([{"role": "user", "content": "Klientens personnummer 811218-9876"}], data_class=DataClass.KANSLIG)
    with session_factory() as session:
        records = session.query(AuditRecord).filter(AuditRecord.org_id == org_id).order_by(AuditRecord.seq).all()
        assert [r.status for r in records] == ["ok", "refused"]
        assert records[0].provider == "moln" and records[0].model == "test-model" and records[0].input_digest
        assert "811218-9876" not in (records[1].excerpt or "")
        assert audit.verify(session).ok
    assert len(openai_server.received) == 1  # the refused call sent nothing


def test_redact_then_send_is_audited_as_redacted(openai_server, session_factory, two_orgs):
    org_id = two_orgs["a"]["org_id"]
    hub = _hub(openai_server, session_factory, org_id, redact=True)
    hub.chat(
        [{"role": "user", "content": "Sammanfatta: Anna Berg, 811218-9876, behöver hemtjänst."}],
        data_class=DataClass.KANSLIG,
    )
    assert b"811218-9876" not in openai_server.received_bytes
    with session_factory() as session:
        record = session.query(AuditRecord).filter(AuditRecord.org_id == org_id).one()
        assert record.status == "redacted" and record.data_class == "kanslig"
