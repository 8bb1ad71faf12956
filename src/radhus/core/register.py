"""The AI register: every AI function of the platform, its purpose, risk class and oversight."""

from dataclasses import dataclass, field
from enum import StrEnum


class RiskClass(StrEnum):
    """EU AI Act risk classes (Regulation (EU) 2024/1689)."""

    MINIMAL = "minimal"
    LIMITED = "begransad"  # transparency obligations (art. 50), e.g. chatbots
    HIGH = "hog"  # annex III, e.g. access to essential public services
    PROHIBITED = "forbjuden"


@dataclass(frozen=True)
class AIFunctionSpec:
    """A platform AI function as shipped; organisations register it with their own owner and status."""

    key: str  # e.g. "knowledge.answer"
    name_sv: str
    purpose_sv: str
    risk_class: RiskClass
    oversight_sv: str  # how a person oversees it
    data_sources_sv: str
    default_public: bool = True
    capabilities: tuple[str, ...] = field(default_factory=tuple)  # provider capabilities it uses
