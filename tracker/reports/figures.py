"""Figures as a reader of the report's language writes them (Babel, in Flask-Babel's current
locale): 1.234 and 2,6 in Spanish, 1,234 and 2.6 in English."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_decimal, format_percent


def number(value: int | float) -> str:
    return format_decimal(value)


def percent(part: int, whole: int) -> str:
    """ "52%" / "52 %": a share as a whole percentage (halves round up), written as the language
    writes percentages; "0%" of nothing."""
    whole_percent = (Decimal(100 * part) / Decimal(whole or 1)).quantize(Decimal(1), ROUND_HALF_UP)
    return format_percent(whole_percent / 100)


def signed_change(difference: tuple[int, float | None] | None) -> str:
    """ "+3 (+25.0 %)" against the previous period (counts.model.change); no percentage from zero."""
    if difference is None:
        return ""
    absolute, percent = difference
    text = format_decimal(absolute, "+#,##0;-#,##0")
    if percent is not None:
        text += f" ({format_decimal(percent, '+#,##0.0;-#,##0.0')} %)"
    return text
