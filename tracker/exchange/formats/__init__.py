"""The file formats incidents are exported in. Each turns a stream of rows (`CsvIncident`,
already cut to what the reader may see) into the bytes of a file, piece by piece, so no
format holds a whole export in memory (XLSX is spooled to a temporary file first)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from . import delimited, geojson, xlsx
from .csv_format import CsvIncident


@dataclass(frozen=True)
class Format:
    extension: str
    mimetype: str
    encode: Callable[[Iterable[CsvIncident]], Iterator[bytes]]


FORMATS = {
    "csv": Format("csv", "text/csv; charset=utf-8", delimited.canonical_csv),
    "xlsx": Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.encode),
    "geojson": Format("geojson", "application/geo+json", geojson.encode),
    "acled": Format("csv", "text/csv; charset=utf-8", delimited.acled_csv),
    "hxl": Format("csv", "text/csv; charset=utf-8", delimited.hxl_csv),
}
