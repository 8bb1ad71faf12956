"""AI functions offered by the knowledge domain, for the AI register."""

from radhus.core.register import AIFunctionSpec, RiskClass

AI_FUNCTIONS: list[AIFunctionSpec] = [
    AIFunctionSpec(
        key="knowledge.search",
        name_sv="Sökning i kunskapsbanken",
        purpose_sv=(
            "Hittar de stycken i organisationens egna styrdokument, rutiner och webbsidor som bäst motsvarar "
            "en fråga, med kombinerad ord- och betydelsesökning."
        ),
        risk_class=RiskClass.LIMITED,
        oversight_sv=(
            "Användaren ser alltid källdokument och stycke; redaktörer följer upp obesvarade och lågt betygsatta "
            "frågor och kan rätta eller ta bort dokument."
        ),
        data_sources_sv="Dokument som organisationen själv har läst in i sina samlingar, enligt samlingens dataklass.",
        capabilities=("embeddings",),
    ),
    AIFunctionSpec(
        key="knowledge.answer",
        name_sv="Svar med källhänvisningar",
        purpose_sv=(
            "Besvarar personalens frågor utifrån organisationens dokument med numrerade källhänvisningar, "
            "och avstår när dokumenten inte ger stöd."
        ),
        risk_class=RiskClass.LIMITED,
        oversight_sv=(
            "Svaret är ett stöd, inte ett beslut: varje påstående hänvisar till ett stycke som användaren kan "
            "öppna; alla svar loggas, och användare kan ge tumme upp/ned med kommentar som redaktörer granskar."
        ),
        data_sources_sv="Sökträffar ur samlingarna som användaren har behörighet till; frågan och historiken.",
        capabilities=("chat", "embeddings"),
    ),
]
