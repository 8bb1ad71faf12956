"""Real rule-based translation with Debian's apertium (sv→da, sv→nb) through the provider hub."""

import shutil

import pytest

from radhus.core.errors import ProviderError
from radhus.core.privacy import DataClass
from radhus.providers.config import ProviderConfig, ProvidersConfig
from radhus.providers.routing import ProviderHub

pytestmark = pytest.mark.skipif(shutil.which("apertium") is None, reason="apertium saknas (scripts/setup.sh --test)")


@pytest.fixture
def hub():  # type: ignore[no-untyped-def]
    events: list[dict] = []
    config = ProvidersConfig(
        providers={"translation": {"lokal": ProviderConfig(kind="apertium", max_data_class="kanslig")}},
        defaults={"translation": "lokal"},
    )
    instance = ProviderHub(config, audit=events.append)
    instance.events = events  # type: ignore[attr-defined]
    return instance


def test_swedish_to_danish_and_norwegian(hub):
    danish = hub.translate(
        "Jag heter Anna och jag bor i en stor stad.", source="sv", target="da", data_class=DataClass.KANSLIG
    )
    assert "Jeg" in danish.text and "by" in danish.text and danish.model.startswith("apertium")
    norwegian = hub.translate("Hemtjänsten kommer i morgon.", source="sv", target="nb", data_class=DataClass.INTERN)
    assert norwegian.text and norwegian.text != "Hemtjänsten kommer i morgon."
    assert [e["status"] for e in hub.events] == ["ok", "ok"]


def test_language_without_a_path_is_said_plainly(hub):
    with pytest.raises(ProviderError) as error:
        hub.translate("Välkommen till biblioteket.", source="sv", target="so", data_class=DataClass.OPPEN)
    assert "ingen konfigurerad översättning från svenska till somaliska" in error.value.message
    assert error.value.detail["reason"] == "no_path"
    assert hub.events[-1]["status"] == "failed"
