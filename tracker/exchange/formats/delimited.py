"""The comma-separated formats: the canonical CSV (docs/data-formats.md), the same with a second
header row of HXL hashtags (without persons' keys and requests for protection, which only the
canonical CSV carries), and ACLED's columns and codes.

Rows are written through one csv.writer into a small buffer that is emptied every
FLUSH_ROWS rows. Text cells are neutralised against formula injection (cells.py): these
files are opened in spreadsheets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

from ...cells import neutralise
from .csv_format import COLUMNS, GENERAL_COLUMNS, CsvIncident, format_row

FLUSH_ROWS = 1000

# Humanitarian Exchange Language hashtags (hxlstandard.org) for the canonical columns, so
# HDX, HXL Proxy and libhxl know what each holds; `+list` marks `;`-joined values.
HXL_TAGS = {
    "ref": "#event+id",
    "title": "#event+title",
    "description": "#description",
    "date": "#date",
    "date_precision": "#date+precision",
    "place": "#loc+name",
    "latitude": "#geo+lat",
    "longitude": "#geo+lon",
    "geo_precision": "#geo+precision",
    "country": "#country+code",
    "admin1": "#adm1+name",
    "admin2": "#adm2+name",
    "admin3": "#adm3+name",
    "violations": "#event+type+list",
    "victim_groups": "#group+victim+list",
    "victim_count": "#group+victim+num+list",
    "victim_gender": "#group+victim+gender+list",
    "perpetrators": "#group+perpetrator+list",
    "killed": "#affected+killed",
    "injured": "#affected+injured",
    "detained": "#affected+detained",
    "status": "#status",
    "confidence": "#status+confidence",
    "visibility": "#meta+visibility",
    "public_location": "#meta+public_location",
    "source_urls": "#meta+source+url+list",
    "source_kinds": "#meta+source+type+list",
    "event": "#crisis+name",
    "victim_names": "#group+victim+name+list",
    "victim_organisations": "#org+victim+list",
    "perpetrator_names": "#group+perpetrator+name+list",
    "source_titles": "#meta+source+title+list",
    "source_confidential": "#meta+source+confidential+list",
    "source_publishers": "#meta+source+publisher+list",
    "end_date": "#date+end",
    "consent": "#meta+consent",
    "victim_indigenous": "#group+victim+indigenous+list",
    "victim_lgbtiq": "#group+victim+lgbtiq+list",
    "victim_woman_defender": "#group+victim+woman_defender+list",
    "perpetrator_involvement": "#group+perpetrator+involvement+list",
    "source_published_on": "#date+source+list",
    "source_reliability": "#meta+source+reliability+list",
}
# ACLED's free-text columns (the others hold codes, dates and numbers)
ACLED_TEXT_COLUMNS = frozenset(
    {
        "event_id_cnty",
        "actor1",
        "assoc_actor_1",
        "actor2",
        "assoc_actor_2",
        "region",
        "country",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "source",
        "notes",
        "tags",
    }
)


def canonical_csv(rows: Iterable[CsvIncident]) -> Iterator[bytes]:
    return csv_bytes(chain([COLUMNS], map(format_row, rows)))


def hxl_csv(rows: Iterable[CsvIncident]) -> Iterator[bytes]:
    """The canonical CSV with the hashtag row under the header, where HXL tools look for it."""
    n = len(GENERAL_COLUMNS)
    return csv_bytes(
        chain([GENERAL_COLUMNS, [HXL_TAGS[name] for name in GENERAL_COLUMNS]], (format_row(row)[:n] for row in rows))
    )


def acled_csv(rows: Iterable[CsvIncident]) -> Iterator[bytes]:
    """ACLED's export layout, through the mapping the ACLED import uses in reverse."""
    from . import acled

    text = [name in ACLED_TEXT_COLUMNS for name in acled.ACLED_COLUMNS]

    def cells(row: CsvIncident) -> list[str]:
        return [
            neutralise(cell) if is_text else cell for cell, is_text in zip(acled.to_acled_row(row), text, strict=True)
        ]

    return csv_bytes(chain([acled.ACLED_COLUMNS], map(cells, rows)))


def csv_bytes(lines: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """UTF-8 CSV of `lines`, in pieces of FLUSH_ROWS lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for n, line in enumerate(lines, 1):
        writer.writerow(line)
        if n % FLUSH_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
