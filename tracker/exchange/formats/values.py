"""Cells as typed values, for the formats that know numbers (XLSX, GeoJSON): a spreadsheet
can then sum the killed and sort by date, and GIS tools read the coordinates as numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .csv_format import COLUMNS

NUMBERS: dict[str, Callable[[str], object]] = {
    "latitude": float,
    "longitude": float,
    "killed": int,
    "injured": int,
    "detained": int,
}


def typed(
    cells: Sequence[str], converters: dict[str, Callable[[str], object]] = NUMBERS, columns: Sequence[str] = COLUMNS
) -> list:
    """The cells of a row (`columns` order) converted where `converters` says; empty → None."""
    return [
        None if cell == "" else converters[name](cell) if name in converters else cell
        for name, cell in zip(columns, cells, strict=True)
    ]
