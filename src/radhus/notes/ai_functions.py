"""AI functions offered by the notes domain, for the AI register."""

from radhus.core.register import AIFunctionSpec, RiskClass

AI_FUNCTIONS: list[AIFunctionSpec] = [
    AIFunctionSpec(
        key="notes.transcribe",
        name_sv="Transkribering av samtal och möten",
        purpose_sv=(
            "Gör om inspelat tal från möten och samtal till text med tidsstämplar, som underlag för "
            "dokumentation. Ljudet behandlas lokalt och raderas efter godkännande eller efter en bestämd tid."
        ),
        risk_class=RiskClass.LIMITED,
        oversight_sv=(
            "Transkriptionen är ett arbetsmaterial: personalen kontrollerar och rättar texten mot ljudet "
            "innan något dokumenteras."
        ),
        data_sources_sv="Inspelningen av det enskilda mötet eller samtalet; inga andra uppgifter.",
        default_public=True,
        capabilities=("speech",),
    ),
    AIFunctionSpec(
        key="notes.diarise",
        name_sv="Automatisk talarmärkning av inspelningar",
        purpose_sv=(
            "Delar in en transkriberad inspelning efter vem som talar (Talare 1, Talare 2 ...) utifrån röstens "
            "klang och tonhöjd, så att personalen snabbt kan sätta namn på talarna. Ingen röst identifieras "
            "eller sparas; metoden är inbyggd och körs lokalt utan modell."
        ),
        risk_class=RiskClass.LIMITED,
        oversight_sv=(
            "Talarmärkningen är ett förslag: personalen ger talarna namn och rättar enskilda repliker i "
            "talarvyn innan utkastet granskas; varje ändring loggas."
        ),
        data_sources_sv="Inspelningen av det enskilda mötet eller samtalet och dess transkription.",
        default_public=True,
        capabilities=(),
    ),
    AIFunctionSpec(
        key="notes.draft",
        name_sv="Utkast till protokoll, minnesanteckningar och journalanteckningar",
        purpose_sv=(
            "Föreslår ett utkast enligt en mall (t.ex. protokoll eller journalanteckning) utifrån "
            "transkriptionen. Varje mening hänvisar till de delar av samtalet den bygger på. Bedömningar "
            "skrivs alltid av personalen själv."
        ),
        risk_class=RiskClass.LIMITED,
        oversight_sv=(
            "Allt är utkast tills en namngiven granskare har godkänt texten; varje ändring och godkännandet loggas."
        ),
        data_sources_sv="Transkriptionen av det enskilda mötet och den valda mallen.",
        default_public=True,
        capabilities=("chat",),
    ),
]
