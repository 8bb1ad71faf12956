"""AI functions of the planning domain, for the AI register."""

from radhus.core.register import AIFunctionSpec, RiskClass

AI_FUNCTIONS: list[AIFunctionSpec] = [
    AIFunctionSpec(
        key="planning.roster_proposal",
        name_sv="Schemaförslag för personal",
        purpose_sv=(
            "Föreslår ett arbetsschema för en enhet utifrån bemanningsbehov, kompetenser, arbetstidsregler "
            "(dygnsvila, veckovila, arbetstidsmått, helgdagar, avtal), önskemål, rättvisa och kontinuitet per "
            "brukare, med förklaringar till ej täckta behov."
        ),
        risk_class=RiskClass.HIGH,  # annex III 4(b): allocation of tasks / work organisation of employees
        oversight_sv=(
            "Förslaget är ett utkast. En namngiven schemaläggare granskar, kan ändra med direkt regelkontroll "
            "och godkänner innan schemat publiceras; godkännandet loggas."
        ),
        data_sources_sv="Personaluppgifter (sysselsättningsgrad, kompetenser, frånvaro, önskemål) och bemanningsbehov.",
        default_public=True,
        capabilities=(),
    ),
    AIFunctionSpec(
        key="planning.homecare_routes",
        name_sv="Ruttförslag för hemtjänst",
        purpose_sv=(
            "Föreslår dagliga besöksrutter i hemtjänsten utifrån tidsfönster, kompetenskrav, dubbelbemanning, "
            "restider och kontinuitet för brukaren."
        ),
        risk_class=RiskClass.HIGH,
        oversight_sv=(
            "Planeraren granskar och justerar rutterna och godkänner dem innan de publiceras till personalen; "
            "godkännandet loggas."
        ),
        data_sources_sv="Besök (adress, tidsfönster, insatser), personalens arbetstider och kompetenser, restider.",
        default_public=True,
        capabilities=(),
    ),
]
