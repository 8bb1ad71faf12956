"""Built-in language identification on short municipal sentences."""

import pytest

from radhus.providers.langid import identify_language

SAMPLES = {
    "sv": "Hej, jag vill ansöka om bygglov för en altan vid mitt hus.",
    "en": "Hello, I would like to apply for a building permit for my house.",
    "de": "Ich möchte eine Baugenehmigung für mein Haus beantragen.",
    "fi": "Haluan hakea rakennuslupaa talolleni, kiitos avusta.",
    "pl": "Chcę złożyć wniosek o pozwolenie na budowę domu.",
    "da": "Jeg vil gerne søge om byggetilladelse til mit hus.",
    "so": "Waxaan rabaa inaan codsado ruqsad dhismo oo ku saabsan gurigayga.",
    "ar": "أريد التقدم بطلب للحصول على رخصة بناء لمنزلي",
    "fa": "من می خواهم برای خانه ام مجوز ساخت درخواست بدهم",
    "uk": "Я хочу подати заяву на дозвіл на будівництво будинку.",
    "ru": "Я хочу подать заявку на разрешение на строительство дома.",
    "ti": "ኣብ ቤት ትምህርቲ ክኸይድ እደሊ እየ",
    "am": "ወደ ትምህርት ቤት መሄድ እፈልጋለሁ ነው",
}


@pytest.mark.parametrize(("expected", "text"), SAMPLES.items())
def test_identifies_language(expected, text):
    result = identify_language(text)
    assert result.language == expected, result.candidates
    assert result.provider == "builtin" and 0 < result.confidence <= 1


def test_swedish_name_and_candidates():
    result = identify_language(SAMPLES["sv"])
    assert result.name_sv == "svenska" and len(result.candidates) > 1


def test_nothing_to_go_on_is_unknown():
    assert identify_language("12345 !!!").language == "und"
