"""The score of a section heading, as the EU SEE country report prints it: the CIVICUS Monitor score
(0–100) rebased onto 1–5 as 1 + 4 × score/100, with the CIVICUS band (docs/architecture.md, "CIVICUS score")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from ..errors import ServiceError
from ..taxonomy import Term

# upper bound of each band, inclusive
BANDS: tuple[tuple[int, Term], ...] = (
    (20, Term("closed", "Closed", "Cerrado")),
    (40, Term("repressed", "Repressed", "Represivo")),
    (60, Term("obstructed", "Obstructed", "Obstruido")),
    (80, Term("narrowed", "Narrowed", "Estrecho")),
    (100, Term("open", "Open", "Abierto")),
)


@dataclass(frozen=True)
class Score:
    civicus: float
    rebased: float
    band: Term

    def heading(self) -> str:
        """ "Score: 2.6 out of 5 (Repressed) — CIVICUS score 40/100, rebased", in the current
        language, for the report's Principle 1 heading: the scale is said, as the seed report's
        footnote says it."""
        return _(
            "Score: %(score)s out of 5 (%(band)s) — CIVICUS score %(civicus)s/100, rebased",
            score=format_decimal(self.rebased, "0.0"),
            band=self.band.label(str(get_locale())),
            civicus=format_decimal(self.civicus),
        )


def civicus_score(value: float) -> Score:
    """40 → 2.6, Repressed. Half-way roundings go up (1.25 → 1.1, as a reader would round);
    a fractional score between two bands (20.5) falls in the upper one."""
    if not 0 <= value <= 100:
        raise ServiceError(
            _("A CIVICUS Monitor score is between 0 and 100, not %(value)s.", value=format_decimal(value))
        )
    rebased = (1 + 4 * Decimal(str(value)) / 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    band = next(term for upper, term in BANDS if value <= upper)
    return Score(civicus=value, rebased=float(rebased), band=band)
