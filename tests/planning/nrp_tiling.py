"""Long-horizon NRP instances for tests and bench/planning.py: an instance repeated along its horizon."""


def tiled_text(text: str, times: int) -> str:
    """Instance text repeated `times` times along the horizon (limits scaled), for a long-horizon test."""
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("SECTION_"):
            current = line
            sections[current] = []
        elif line and not line.startswith("#"):
            sections[current].append(line)
    horizon = int(sections["SECTION_HORIZON"][0])
    out = ["SECTION_HORIZON", str(horizon * times), "SECTION_SHIFTS", *sections["SECTION_SHIFTS"], "SECTION_STAFF"]
    for line in sections["SECTION_STAFF"]:
        p = line.split(",")
        limits = "|".join(f"{k}={int(v) * times}" for k, v in (x.split("=") for x in p[1].split("|") if x))
        out.append(
            ",".join([p[0], limits, str(int(p[2]) * times), str(int(p[3]) * times), *p[4:7], str(int(p[7]) * times)])
        )
    out.append("SECTION_DAYS_OFF")
    for line in sections.get("SECTION_DAYS_OFF", []):
        p = line.split(",")
        out.append(",".join([p[0], *(str(int(d) + i * horizon) for i in range(times) for d in p[1:] if d)]))
    for name, pos in (("SECTION_SHIFT_ON_REQUESTS", 1), ("SECTION_SHIFT_OFF_REQUESTS", 1), ("SECTION_COVER", 0)):
        out.append(name)
        for i in range(times):
            for line in sections.get(name, []):
                p = line.split(",")
                p[pos] = str(int(p[pos]) + i * horizon)
                out.append(",".join(p))
    return "\n".join(out) + "\n"
