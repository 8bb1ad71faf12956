"""Built-in language identification: Unicode script, distinctive letters, stopwords and character trigrams.

No model or download: the profiles below are small hand-written seed texts and stopword lists.
"""

import math
import re
import time
import unicodedata
from collections import Counter
from functools import lru_cache

from radhus.providers.models import LanguageGuess, LanguageIdResult, Usage

LANGUAGE_NAMES_SV = {
    "sv": "svenska", "en": "engelska", "de": "tyska", "fi": "finska", "pl": "polska", "da": "danska",
    "nb": "norska", "fr": "franska", "es": "spanska", "so": "somaliska", "tr": "turkiska",
    "bs": "bosniska", "ar": "arabiska", "fa": "persiska", "uk": "ukrainska", "ru": "ryska", "ti": "tigrinska",
    "am": "amhariska", "el": "grekiska", "he": "hebreiska", "zh": "kinesiska", "th": "thailändska",
    "ku": "kurdiska",
}  # fmt: skip

# Seed text and stopwords per Latin-script language (written for this module).
_LATIN_SEEDS = {
    "sv": (
        "Kommunen har beslutat att förskolan ska vara öppen under sommaren. Du som vill ansöka om plats "
        "kan göra det på webbplatsen. Barnet har rätt till förskola från ett års ålder. Vi hjälper dig "
        "gärna med frågor om bygglov, avfall och hemtjänst. Det är inte svårt att söka.",
        "och att det som är för på med inte jag av till en ett har den de om var kan ska vill vi du hon han "
        "också eller men när från sin hur vad här där efter över under",
    ),
    "en": (
        "The municipality has decided that the preschool will be open during the summer. If you want to "
        "apply for a place you can do it on the website. We are happy to help you with questions about "
        "building permits, waste and home care. It is not difficult to apply.",
        "the and of to a in is that it for you with on are be this was have not as at by from they we "
        "or an will can your which their there what about would",
    ),
    "de": (
        "Die Gemeinde hat beschlossen, dass der Kindergarten im Sommer geöffnet bleibt. Wer einen Platz "
        "beantragen möchte, kann das auf der Webseite tun. Wir helfen Ihnen gerne bei Fragen zur "
        "Baugenehmigung, zum Abfall und zur häuslichen Pflege. Es ist nicht schwer.",
        "der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch es an werden aus "
        "er sie wir ich kann wird bei oder nach wie über",
    ),
    "fi": (
        "Kunta on päättänyt, että päiväkoti on auki kesällä. Jos haluat hakea paikkaa, voit tehdä sen "
        "verkkosivuilla. Autamme mielellämme kysymyksissä, jotka koskevat rakennuslupaa, jätteitä ja "
        "kotihoitoa. Hakeminen ei ole vaikeaa.",
        "ja on ei että se hän oli ovat mutta kun tai jos niin kuin myös sen joka mitä voi olla ole minä "
        "sinä me te he tämä siitä kanssa",
    ),
    "pl": (
        "Gmina zdecydowała, że przedszkole będzie otwarte w czasie lata. Jeśli chcesz złożyć wniosek o "
        "miejsce, możesz to zrobić na stronie internetowej. Chętnie pomożemy w sprawach pozwolenia na "
        "budowę, odpadów i opieki domowej. To nie jest trudne.",
        "i w nie na się z że do to jest jak o co po tak za od ale przez dla czy jego tylko być są już "
        "może także oraz który",
    ),
    "da": (
        "Kommunen har besluttet, at børnehaven skal være åben om sommeren. Hvis du vil søge om en plads, "
        "kan du gøre det på hjemmesiden. Vi hjælper dig gerne med spørgsmål om byggetilladelse, affald og "
        "hjemmepleje. Det er ikke svært at søge.",
        "og at det som er for på med ikke jeg af til en et har den de om var kan skal vil vi du hun han "
        "også eller men når fra sig hvad her der efter hvordan nogen",
    ),
    "nb": (
        "Kommunen har bestemt at barnehagen skal være åpen om sommeren. Hvis du vil søke om plass, kan du "
        "gjøre det på nettsiden. Vi hjelper deg gjerne med spørsmål om byggetillatelse, avfall og "
        "hjemmetjenester. Det er ikke vanskelig å søke.",
        "og at det som er for på med ikke jeg av til en et har den de om var kan skal vil vi du hun han "
        "også eller men når fra seg hva her der etter hvordan noen ikkje ei",
    ),
    "fr": (
        "La commune a décidé que l'école maternelle sera ouverte pendant l'été. Si vous voulez demander "
        "une place, vous pouvez le faire sur le site. Nous vous aidons volontiers avec les questions sur "
        "le permis de construire, les déchets et l'aide à domicile.",
        "le la les de des et est un une du en que qui pour dans ne pas sur au avec il elle nous vous ce sont par plus",
    ),
    "es": (
        "El municipio ha decidido que la escuela infantil estará abierta durante el verano. Si quiere "
        "solicitar una plaza, puede hacerlo en la página web. Le ayudamos con preguntas sobre permisos de "
        "obra, residuos y atención domiciliaria. No es difícil.",
        "el la los las de del y en que un una es por con para no se su al lo como más pero sus le ya o",
    ),
    "so": (
        "Degmada ayaa go'aansatay in xannaanada carruurta ay furnaato xilliga xagaaga. Haddii aad rabto "
        "inaad codsato boos, waxaad ku samayn kartaa bogga internetka. Waxaan kaa caawinaynaa su'aalaha "
        "ku saabsan ruqsadda dhismaha, qashinka iyo daryeelka guriga.",
        "iyo waa ka ku in ay oo u la aan wax waxaa uu ayaa ma ah laga loo si kale haddii aad inaad waxaad kuu kula ee",
    ),
    "tr": (
        "Belediye, anaokulunun yaz boyunca açık olmasına karar verdi. Bir yer için başvurmak isterseniz "
        "bunu web sitesinde yapabilirsiniz. İnşaat izni, atık ve evde bakım ile ilgili sorularınızda size "
        "yardımcı olmaktan memnuniyet duyarız.",
        "ve bir bu da de için ile çok ne olarak daha ama gibi o en kadar var mı sonra her şey değil",
    ),
    "bs": (
        "Općina je odlučila da će vrtić biti otvoren tokom ljeta. Ako želite podnijeti zahtjev za mjesto, "
        "to možete uraditi na web stranici. Rado ćemo vam pomoći s pitanjima o građevinskoj dozvoli, "
        "otpadu i kućnoj njezi. Nije teško.",
        "i je da u se na za su od ne s sa kao što ili ali to iz ako bi će biti sam smo",
    ),
}

_DISTINCTIVE = {
    "sv": "åäö", "de": "ßü", "fi": "äöy", "pl": "ąćęłńśźż", "da": "æøå", "nb": "æøå", "fr": "éèêàçœ",
    "es": "ñ¿¡áíóú", "tr": "ığşçİ", "bs": "čćšžđ",
}  # fmt: skip

_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _trigrams(text: str) -> Counter:
    """Character trigrams of each word padded with spaces."""
    grams: Counter = Counter()
    for word in _WORD_RE.findall(text.lower()):
        padded = f" {word} "
        for index in range(len(padded) - 2):
            grams[padded[index : index + 3]] += 1
    return grams


@lru_cache(maxsize=1)
def _profiles() -> dict[str, tuple[Counter, float, frozenset[str]]]:
    """Trigram profile, its norm and stopword set per Latin-script language."""
    out = {}
    for lang, (seed, stopwords) in _LATIN_SEEDS.items():
        grams = _trigrams(seed + " " + stopwords)
        norm = math.sqrt(sum(v * v for v in grams.values()))
        out[lang] = (grams, norm, frozenset(stopwords.split()))
    return out


def _script_counts(text: str) -> Counter:
    """How many letters of each script family the text holds."""
    counts: Counter = Counter()
    for char in text:
        if not char.isalpha():
            continue
        code = ord(char)
        if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
            counts["arabic"] += 1
        elif 0x0400 <= code <= 0x04FF:
            counts["cyrillic"] += 1
        elif 0x1200 <= code <= 0x139F or 0x2D80 <= code <= 0x2DDF:
            counts["ethiopic"] += 1
        elif 0x0370 <= code <= 0x03FF:
            counts["greek"] += 1
        elif 0x0590 <= code <= 0x05FF:
            counts["hebrew"] += 1
        elif 0x4E00 <= code <= 0x9FFF:
            counts["han"] += 1
        elif 0x0E00 <= code <= 0x0E7F:
            counts["thai"] += 1
        elif "LATIN" in unicodedata.name(char, ""):
            counts["latin"] += 1
        else:
            counts["other"] += 1
    return counts


def _score_arabic_script(text: str) -> dict[str, float]:
    persian = sum(text.count(c) for c in "پچژگکی")
    arabic = sum(text.count(c) for c in "ةيكىإأؤ")
    words = set(text.split())
    persian += 2 * len(words & {"است", "این", "که", "را", "می", "های", "برای", "شما"})
    arabic += 2 * len(words & {"في", "من", "على", "إلى", "أن", "التي", "الذي", "هذا"})
    total = persian + arabic or 1
    return {"fa": persian / total, "ar": arabic / total} if persian + arabic else {"ar": 0.6, "fa": 0.4}


def _score_cyrillic(text: str) -> dict[str, float]:
    ukrainian: float = sum(text.count(c) for c in "іїєґІЇЄҐ")
    russian: float = sum(text.count(c) for c in "ыэъёЫЭЪЁ")
    lowered = text.lower()
    ukrainian += 0.5 * sum(lowered.count(s) for s in ("ння", "ись", "ти ", "ться"))
    russian += 0.5 * sum(lowered.count(s) for s in ("ение", "ого ", "ать ", "ый ", "ий "))
    total = ukrainian + russian
    return {"uk": ukrainian / total, "ru": russian / total} if total else {"ru": 0.5, "uk": 0.5}


def _score_ethiopic(text: str) -> dict[str, float]:
    tigrinya = sum(text.count(c) for c in "ኣሓሒሑሕሖቐቑቒቕኸኹኺኽ") + 3 * text.count("እዩ") + 3 * text.count("ኣብ")
    amharic = sum(text.count(c) for c in "ኧ") + 3 * text.count("ነው") + 3 * text.count("እና") + 2 * text.count("ው ")
    total = tigrinya + amharic
    return {"ti": tigrinya / total, "am": amharic / total} if total else {"ti": 0.5, "am": 0.5}


def _score_latin(text: str) -> dict[str, float]:
    grams = _trigrams(text)
    norm = math.sqrt(sum(v * v for v in grams.values())) or 1.0
    words = [w.lower() for w in _WORD_RE.findall(text)]
    lowered = text.lower()
    scores = {}
    for lang, (profile, profile_norm, stopwords) in _profiles().items():
        cosine = sum(count * profile.get(gram, 0) for gram, count in grams.items()) / (norm * profile_norm)
        stop_share = sum(1 for w in words if w in stopwords) / (len(words) or 1)
        letters = _DISTINCTIVE.get(lang, "")
        hint = min(1.0, sum(lowered.count(c) for c in letters) / max(1, len(words))) if letters else 0.0
        scores[lang] = 0.45 * cosine + 0.45 * stop_share + 0.1 * hint
    # Letters a language never uses are strong negative evidence.
    if any(c in lowered for c in "æø"):
        scores["sv"] *= 0.5
    if any(c in lowered for c in "äö"):
        scores["da"] *= 0.5
        scores["nb"] *= 0.5
    if "x" in lowered or "dh" in lowered:
        scores["so"] *= 1.1
    return scores


def _normalise(scores: dict[str, float]) -> list[LanguageGuess]:
    total = sum(max(v, 0.0) for v in scores.values()) or 1.0
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    return [
        LanguageGuess(language=lang, name_sv=LANGUAGE_NAMES_SV.get(lang, lang), score=round(max(v, 0.0) / total, 4))
        for lang, v in ranked
    ]


def identify_language(text: str) -> LanguageIdResult:
    """Best-guess language of `text` with candidates; 'und' (okänt) when there is nothing to go on."""
    started = time.perf_counter()
    scripts = _script_counts(text)
    if not scripts:
        guesses = [LanguageGuess(language="und", name_sv="okänt språk", score=0.0)]
    else:
        script = scripts.most_common(1)[0][0]
        scorer = {
            "arabic": _score_arabic_script,
            "cyrillic": _score_cyrillic,
            "ethiopic": _score_ethiopic,
            "latin": _score_latin,
        }.get(script)
        fixed = {"greek": "el", "hebrew": "he", "han": "zh", "thai": "th"}.get(script)
        if scorer:
            guesses = _normalise(scorer(text))
        elif fixed:
            guesses = [LanguageGuess(language=fixed, name_sv=LANGUAGE_NAMES_SV[fixed], score=1.0)]
        else:
            guesses = [LanguageGuess(language="und", name_sv="okänt språk", score=0.0)]
    best = guesses[0]
    return LanguageIdResult(
        provider="builtin",
        model="radhus-langid-1",
        language=best.language,
        name_sv=best.name_sv,
        confidence=best.score,
        candidates=guesses[:5],
        usage=Usage(duration_s=round(time.perf_counter() - started, 5)),
    )


def language_name_sv(code: str) -> str:
    """Swedish name of a language code, or the code itself."""
    return LANGUAGE_NAMES_SV.get(code, code)
