"""Data classes and personal-data handling."""

from enum import StrEnum


class DataClass(StrEnum):
    """How sensitive a piece of data is; ordered öppen < intern < känslig."""

    OPPEN = "oppen"
    INTERN = "intern"
    KANSLIG = "kanslig"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, other: "DataClass") -> bool:
        """True when data of class `other` may go where this class is the ceiling."""
        return other.rank <= self.rank

    @property
    def label_sv(self) -> str:
        return {"oppen": "öppen", "intern": "intern", "kanslig": "känslig"}[self.value]


_RANK = {DataClass.OPPEN: 0, DataClass.INTERN: 1, DataClass.KANSLIG: 2}
