"""Precision and recall of radhus.core.privacy on a labelled Swedish set generated with Faker sv_SE.

Run: .venv/bin/python bench/privacy.py [--docs 400] [--seed 20261125]
Needs the dev dependency faker. Prints per-type and overall precision/recall (overlap and exact match)
and the time to redact a 10-page text.
"""

import argparse
import random
import statistics
import time
from collections import Counter

from faker import Faker

from radhus.core.privacy import find_personal_data, redact

TEMPLATES = [
    "Handläggare {NAMN} har kontaktat {NAMN} angående ansökan om försörjningsstöd.",
    "{NAMN} ({PERSONNUMMER}) bor på {ADRESS}, {POSTNUMMER}.",
    "Vårdnadshavare: {NAMN}, telefon {TELEFON}, e-post {EPOST}.",
    "Utbetalning sker till konto {BANKKONTO} enligt beslut.",
    "Samordningsnummer {SAMORDNINGSNUMMER} har registrerats för {NAMN}.",
    "Kontaktperson är {FORNAMN} på socialtjänsten, nås på {TELEFON}.",
    "Brev skickades till {ADRESS}, {POSTNUMMER} den 12 mars.",
    "Personnummer: {PERSONNUMMER}. Namn: {NAMN}.",
    "Klienten {NAMN} uppger att hen flyttat från {ADRESS}.",
    "Svar skickas till {EPOST} senast fredag.",
    "{FORNAMN} ringde från {TELEFON} och bad om återkoppling.",
    "Insättning till IBAN {BANKKONTO} görs i slutet av månaden.",
]
DISTRACTORS = [
    "Mötet hölls 2024-03-15 klockan 14.00 i sal 3 på Stadshuset.",
    "Budgeten för 2025 är 1 250 000 kronor enligt beslut i kommunfullmäktige.",
    "Enligt 4 kap. 1 § socialtjänstlagen (2001:453) ska en utredning inledas.",
    "Ärendet har diarienummer KS 2023-1234 och hanteras av Kommunstyrelsen.",
    "Under hösten planeras fler informationsmöten i Sundsvall och Härnösand.",
    "Öppettider: måndag–fredag 08.00–16.30, lunchstängt 12.00–13.00.",
    "Avgiften är 320 kr per månad, enligt taxa 2024:12.",
    "Riktnummer 060 gäller för hela kommunen sedan 1970-talet.",
    "Vid frågor, kontakta kundcenter via kommunens webbplats.",
    "Beslutet kan överklagas inom tre veckor till förvaltningsrätten.",
]


def _luhn_digit(base9: str) -> str:
    total = 0
    for index, char in enumerate(base9):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _personnummer(fake: Faker, rng: random.Random, coordination: bool = False) -> str:
    born = fake.date_of_birth(minimum_age=0, maximum_age=99)
    day = born.day + (60 if coordination else 0)
    base = f"{born:%y%m}{day:02d}{rng.randint(0, 999):03d}"
    number = f"{base[:6]}-{base[6:]}{_luhn_digit(base)}"
    style = rng.random()
    if style < 0.3:
        return f"{born.year // 100}{number}"
    if style < 0.45:
        return number.replace("-", "")
    return number


def _swedish_iban(rng: random.Random) -> str:
    bban = f"{rng.randint(1000, 9999)}" + "".join(str(rng.randint(0, 9)) for _ in range(16))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + "SE00")) % 97
    compact = f"SE{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4)) if rng.random() < 0.6 else compact


def _value(kind: str, fake: Faker, rng: random.Random) -> tuple[str, str]:
    """(gold kind, generated text) for one slot."""
    if kind == "NAMN":
        return "NAMN", f"{fake.first_name()} {fake.last_name()}"
    if kind == "FORNAMN":
        return "NAMN", fake.first_name()
    if kind == "PERSONNUMMER":
        return kind, _personnummer(fake, rng)
    if kind == "SAMORDNINGSNUMMER":
        return kind, _personnummer(fake, rng, coordination=True)
    if kind == "ADRESS":
        return kind, fake.street_address()
    if kind == "POSTNUMMER":
        code = fake.postcode()
        code = f"{code[:3]} {code[3:]}" if rng.random() < 0.5 else code
        return kind, f"{code} {fake.city()}"
    if kind == "TELEFON":
        number = fake.phone_number()
        while number.startswith("00") or "(0)0" in number:  # Faker emits area codes "00x": not Swedish numbers
            number = fake.phone_number()
        return kind, number
    if kind == "EPOST":
        return kind, fake.email()
    if kind == "BANKKONTO":
        return kind, _swedish_iban(rng)
    raise ValueError(kind)


def generate(docs: int, seed: int) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Labelled documents: text plus gold spans (start, end, kind)."""
    fake = Faker("sv_SE")
    Faker.seed(seed)
    rng = random.Random(seed)
    out = []
    for _ in range(docs):
        parts: list[str] = []
        gold: list[tuple[int, int, str]] = []
        cursor = 0
        sentences = rng.sample(TEMPLATES, 3) + rng.sample(DISTRACTORS, 2)
        rng.shuffle(sentences)
        for sentence in sentences:
            pieces = sentence.replace("{", "\x00{").replace("}", "}\x00").split("\x00")
            for piece in pieces:
                if piece.startswith("{") and piece.endswith("}"):
                    kind, value = _value(piece[1:-1], fake, rng)
                    gold.append((cursor, cursor + len(value), kind))
                    piece = value
                parts.append(piece)
                cursor += len(piece)
            parts.append(" ")
            cursor += 1
        out.append(("".join(parts), gold))
    return out


def evaluate(dataset) -> dict[str, Counter]:
    """True positives / false positives / false negatives per kind, overlap and exact."""
    stats: dict[str, Counter] = {}
    for text, gold in dataset:
        predicted = [(s.start, s.end, s.kind.value) for s in find_personal_data(text, include_warnings=False)]
        for mode in ("overlap", "exact"):
            matched_gold: set[int] = set()
            for p_start, p_end, p_kind in predicted:
                hit = None
                for index, (g_start, g_end, g_kind) in enumerate(gold):
                    if index in matched_gold or g_kind != p_kind:
                        continue
                    same = (p_start, p_end) == (g_start, g_end)
                    if same or (mode == "overlap" and p_start < g_end and g_start < p_end):
                        hit = index
                        break
                counter = stats.setdefault(f"{mode}:{p_kind}", Counter())
                if hit is None:
                    counter["fp"] += 1
                else:
                    counter["tp"] += 1
                    matched_gold.add(hit)
            for index, (_, _, g_kind) in enumerate(gold):
                if index not in matched_gold:
                    stats.setdefault(f"{mode}:{g_kind}", Counter())["fn"] += 1
    return stats


def _pr(counter: Counter) -> tuple[float, float]:
    tp, fp, fn = counter["tp"], counter["fp"], counter["fn"]
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def report(stats: dict[str, Counter]) -> None:
    print(f"{'type':<20}{'gold':>6}{'P(overlap)':>12}{'R(overlap)':>12}{'P(exact)':>10}{'R(exact)':>10}")
    kinds = sorted({key.split(":", 1)[1] for key in stats})
    totals = {"overlap": Counter(), "exact": Counter()}
    for kind in kinds:
        row = []
        for mode in ("overlap", "exact"):
            counter = stats.get(f"{mode}:{kind}", Counter())
            totals[mode].update(counter)
            row.extend(_pr(counter))
        gold = stats.get(f"exact:{kind}", Counter())
        print(f"{kind:<20}{gold['tp'] + gold['fn']:>6}{row[0]:>12.3f}{row[1]:>12.3f}{row[2]:>10.3f}{row[3]:>10.3f}")
    po, ro = _pr(totals["overlap"])
    pe, re_ = _pr(totals["exact"])
    gold_total = totals["exact"]["tp"] + totals["exact"]["fn"]
    print(f"{'ALLA':<20}{gold_total:>6}{po:>12.3f}{ro:>12.3f}{pe:>10.3f}{re_:>10.3f}")


def ten_page_text(dataset) -> str:
    """About 10 A4 pages (~30 000 characters) of generated case-file text."""
    text, index = [], 0
    while sum(len(t) for t in text) < 30_000:
        text.append(dataset[index % len(dataset)][0])
        index += 1
    return "\n".join(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    dataset = generate(args.docs, args.seed)
    print(f"Labelled set: {args.docs} documents, seed {args.seed}, Faker sv_SE")
    report(evaluate(dataset))
    long_text = ten_page_text(dataset)
    redact(long_text)
    wall, cpu = [], []
    for _ in range(9):
        started, started_cpu = time.perf_counter(), time.process_time()
        redact(long_text)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    print(
        f"redact() on a 10-page text ({len(long_text)} chars): median wall {statistics.median(wall):.1f} ms, "
        f"median CPU {statistics.median(cpu):.1f} ms (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
