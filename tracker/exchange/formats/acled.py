"""ACLED's standard export (acleddata.com) and our incidents, both ways (docs/data-formats.md, "ACLED mapping").

Import turns an ACLED row into the cells of a canonical row, so every check of the canonical
CSV applies to it as well; `event_id_cnty` becomes the reference, so importing a newer
download updates the incidents of the older one. Export (`to_acled_row`) writes ACLED's
columns from a canonical row; what it writes imports back to the same codes, actors and
precisions. ACLED knows less than we do (no victim counts, no source links), so what it
cannot say is left as stored when an ACLED row updates an incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from flask_babel import gettext as _

from ...cells import restore
from .csv_format import SEPARATOR, CsvIncident, Problem, format_float, parse_row

ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
REQUIRED_COLUMNS = ("event_id_cnty", "event_date", "event_type", "sub_event_type")
ACLED_SEPARATOR = "; "

PROTESTS, RIOTS, VIOLENCE, STRATEGIC = ("Protests", "Riots", "Violence against civilians", "Strategic developments")
DISORDER = {
    PROTESTS: "Demonstrations",
    RIOTS: "Demonstrations",
    VIOLENCE: "Political violence",
    STRATEGIC: "Strategic developments",
}
OTHER_EVENT = (STRATEGIC, "Other")

# Our code → ACLED's event, gravest first: an incident is exported as the event of the first
# of its codes listed here, or as OTHER_EVENT.
EVENT_OF_CODE = {
    "protest_killing": (PROTESTS, "Excessive force against protesters"),
    "killing": (VIOLENCE, "Attack"),
    "attempted_killing": (VIOLENCE, "Attack"),
    "enforced_disappearance": (VIOLENCE, "Abduction/forced disappearance"),
    "torture": (VIOLENCE, "Attack"),
    "sexual_violence": (VIOLENCE, "Sexual violence"),
    "physical_assault": (VIOLENCE, "Attack"),
    "journalist_attack": (VIOLENCE, "Attack"),
    "protest_excessive_force": (PROTESTS, "Excessive force against protesters"),
    "protest_dispersal": (PROTESTS, "Protest with intervention"),
    "protest_detention": (PROTESTS, "Protest with intervention"),
    "arbitrary_detention": (STRATEGIC, "Arrests"),
    "journalist_detention": (STRATEGIC, "Arrests"),
}
# ACLED's event → our code on import; `killed` (fatalities > 0) picks the second code
CODE_OF_EVENT = {
    (PROTESTS, "Excessive force against protesters"): ("protest_excessive_force", "protest_killing"),
    (PROTESTS, "Protest with intervention"): ("protest_dispersal", "protest_dispersal"),
    (RIOTS, "Mob violence"): ("physical_assault", "killing"),
    (VIOLENCE, "Attack"): ("physical_assault", "killing"),
    (VIOLENCE, "Sexual violence"): ("sexual_violence", "sexual_violence"),
    (VIOLENCE, "Abduction/forced disappearance"): ("enforced_disappearance", "enforced_disappearance"),
    (STRATEGIC, "Arrests"): ("arbitrary_detention", "arbitrary_detention"),
}

# ACLED's actor types ("inter" codes); files give the number or, since 2024, the name
INTER_NAMES = {
    "state": 1,
    "rebel": 2,
    "political": 3,
    "identity": 4,
    "rioter": 5,
    "protester": 6,
    "civilian": 7,
    "external": 8,
}
PROTESTERS, CIVILIANS = 6, 7
# perpetrator type → (ACLED actor name, inter code)
ACTOR_OF_TYPE = {
    "police": ("Police Forces of {country}", 1),
    "military": ("Military Forces of {country}", 1),
    "state_official": ("Government of {country}", 1),
    "judiciary": ("Judiciary of {country}", 1),
    "legislature": ("Congress of {country}", 1),
    "private_security": ("Private Security Forces ({country})", 8),
    "company": ("Company ({country})", 8),
    "illegal_mining": ("Illegal Miners ({country})", 3),
    "illegal_logging": ("Illegal Loggers ({country})", 3),
    "drug_trafficking": ("Drug Traffickers ({country})", 3),
    "armed_group": ("Armed Group ({country})", 3),
    "mob": ("Rioters ({country})", 5),
    "individual": ("Individual ({country})", 8),
    "unknown": ("Unidentified Armed Group ({country})", 3),
}
# words in an ACLED actor name → perpetrator type, first match wins
TYPE_OF_ACTOR_WORDS = (
    ("police", "police"),
    ("military", "military"),
    ("army", "military"),
    ("navy", "military"),
    ("armed forces", "military"),
    ("private security", "private_security"),
    ("judiciary", "judiciary"),
    ("court", "judiciary"),
    ("prosecut", "judiciary"),
    ("congress", "legislature"),
    ("legislature", "legislature"),
    ("government", "state_official"),
    ("miner", "illegal_mining"),
    ("mining", "illegal_mining"),
    ("logger", "illegal_logging"),
    ("logging", "illegal_logging"),
    ("drug", "drug_trafficking"),
    ("narco", "drug_trafficking"),
    ("unidentified", "unknown"),
    ("armed group", "armed_group"),
    ("rioter", "mob"),
    ("mob", "mob"),
    ("compan", "company"),
    ("individual", "individual"),
)
TYPE_OF_INTER: dict[int | None, str] = {
    1: "state_official",
    2: "armed_group",
    3: "armed_group",
    4: "armed_group",
    5: "mob",
}
# victim group → ACLED's name for such a group of people
ACTOR_OF_GROUP = {
    "protester": "Protesters",
    "other": "Civilians",
    "hrd": "Human Rights Defenders",
    "environmental_defender": "Environmental Activists",
    "land_defender": "Land Defenders",
    "indigenous_leader": "Indigenous Leaders",
    "journalist": "Journalists",
    "media_worker": "Media Workers",
    "trade_unionist": "Labor Group",
    "lawyer": "Lawyers",
    "cso_member": "Civil Society Organizations",
    "community_leader": "Community Leaders",
    "student": "Students",
    "lgbtiq_activist": "LGBTQ+ Activists",
    "family_member": "Family Members",
    "community": "Indigenous Group",
    "organisation": "Organizations",
}
# words in an ACLED actor name → victim group, after the exact names above
GROUP_OF_ACTOR_WORDS = (
    ("journalist", "journalist"),
    ("lawyer", "lawyer"),
    ("labo", "trade_unionist"),
    ("union", "trade_unionist"),
    ("student", "student"),
    ("teacher", "trade_unionist"),
    ("human rights", "hrd"),
    ("environment", "environmental_defender"),
    ("lgbt", "lgbtiq_activist"),
    ("indigenous", "community"),
    ("protester", "protester"),
)
SOUTH_AMERICA = {
    "AR": "32",
    "BO": "68",
    "BR": "76",
    "CL": "152",
    "CO": "170",
    "EC": "218",
    "GY": "328",
    "PY": "600",
    "PE": "604",
    "SR": "740",
    "UY": "858",
    "VE": "862",
}
TIME_PRECISION = {"day": "1", "week": "2", "month": "3", "year": "3"}
DATE_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = {"exact": "1", "near": "2", "region": "3"}
GEO_OF_ACLED = {code: name for name, code in GEO_PRECISION.items()}
# canonical column → the ACLED column its value came from, to name it in a problem
ACLED_COLUMN = {
    "ref": "event_id_cnty",
    "title": "sub_event_type",
    "description": "notes",
    "date": "event_date",
    "date_precision": "time_precision",
    "place": "location",
    "latitude": "latitude",
    "longitude": "longitude",
    "geo_precision": "geo_precision",
    "country": "country",
    "admin1": "admin1",
    "admin2": "admin2",
    "admin3": "admin3",
    "violations": "sub_event_type",
    "victim_groups": "actor2",
    "perpetrators": "actor1",
    "killed": "fatalities",
    "source_kinds": "source",
    "source_urls": "source",
}
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y")


# --- export ----------------------------------------------------------------------------------


def to_acled_row(row: CsvIncident) -> list[str]:
    """ACLED's cells for one canonical row, in ACLED_COLUMNS order; plain text (the writer
    neutralises formula-like cells)."""
    d = row.data
    country = country_name(d.country)
    event_type, sub_event = next((EVENT_OF_CODE[c] for c in EVENT_OF_CODE if c in d.violations), OTHER_EVENT)
    actors = [ACTOR_OF_TYPE[p.type] for p in d.perpetrators if p.type in ACTOR_OF_TYPE]
    actor1 = [name.format(country=country) for name, _ in actors]
    inter1 = actors[0][1] if actors else None
    groups = [v.group for v in d.victims]
    inter2 = (PROTESTERS if "protester" in groups else CIVILIANS) if groups else None
    actor2 = f"{ACTOR_OF_GROUP['protester' if inter2 == PROTESTERS else 'other']} ({country})" if groups else ""
    victims = [f"{ACTOR_OF_GROUP[g]} ({country})" for g in dict.fromkeys(groups) if g in ACTOR_OF_GROUP]
    return [
        row.ref,
        d.date.isoformat(),
        str(d.date.year),
        TIME_PRECISION[d.date_precision],
        DISORDER[event_type],
        event_type,
        sub_event,
        actor1[0] if actor1 else "",
        ACLED_SEPARATOR.join(actor1[1:]),
        _text(inter1),
        actor2,
        ACLED_SEPARATOR.join(victims),
        _text(inter2),
        _interaction(inter1, inter2),
        "Civilian targeting" if event_type == VIOLENCE else "",
        SOUTH_AMERICA.get(d.country, ""),
        "South America" if d.country in SOUTH_AMERICA else "",
        country,
        d.admin1,
        d.admin2,
        d.admin3,
        d.place,
        format_float(d.latitude),
        format_float(d.longitude),
        GEO_PRECISION.get(d.geo_precision, ""),
        ACLED_SEPARATOR.join(name for s in d.sources if (name := s.publisher or s.url or s.title)),
        "",
        d.description,
        _text(d.killed),
        "",
        "",
    ]


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def _interaction(inter1: int | None, inter2: int | None) -> str:
    """ACLED's two-digit pair of actor types, lower first ("17"; "60" for one actor)."""
    codes = sorted(code for code in (inter1, inter2) if code)
    return f"{codes[0]}{codes[1] if len(codes) > 1 else 0}" if codes else ""


@cache
def _territories() -> dict[str, str]:
    """ISO alpha-2 code → English country name, from CLDR through Babel."""
    from babel import Locale

    return {code: name for code, name in Locale("en").territories.items() if code.isalpha()}


@cache
def _countries() -> dict[str, str]:
    return {name.lower(): code for code, name in _territories().items()}


def country_name(code: str) -> str:
    return _territories().get(code, code)


# --- import ----------------------------------------------------------------------------------


def check_header(header: list[str] | None) -> list[Problem]:
    """ACLED's columns come and go between versions: only the ones we need must be there."""
    if not header:
        return [Problem(1, "", _("the file is empty; the first line must name the columns"))]
    return [Problem(1, name, _("required ACLED column is missing")) for name in REQUIRED_COLUMNS if name not in header]


def parse(cells: dict[str, str], line: int, today: date) -> tuple[CsvIncident, list[Problem], list[Problem]]:
    """One ACLED row as a canonical row: (row, errors, warnings), problems named by ACLED's columns."""
    cells = {name: restore((value or "").strip()) for name, value in cells.items()}
    canonical, errors, warnings = _canonical_cells(cells, line)
    row, problems = parse_row(canonical, line, today)
    errors += [Problem(p.line, ACLED_COLUMN.get(p.column, p.column), p.message) for p in problems]
    for source, name in zip(row.data.sources, _split(cells.get("source", "")), strict=False):
        source.publisher = name[:200]
    return row, errors, warnings


def _canonical_cells(cells: dict[str, str], line: int) -> tuple[dict[str, str], list[Problem], list[Problem]]:
    errors: list[Problem] = []
    warnings: list[Problem] = []
    get = cells.get
    event = (get("event_type", ""), get("sub_event_type", ""))
    killed = get("fatalities", "")
    codes = CODE_OF_EVENT.get(event)
    if codes is None:
        warnings.append(
            Problem(
                line,
                "sub_event_type",
                _(
                    "ACLED's '%(event)s / %(sub_event)s' has no violation code here: the "
                    "incident is stored without one",
                    event=event[0],
                    sub_event=event[1],
                ),
            )
        )
    sides = [
        _side(get("actor1", ""), get("assoc_actor_1", ""), get("inter1", ""), line, "inter1", errors),
        _side(get("actor2", ""), get("assoc_actor_2", ""), get("inter2", ""), line, "inter2", errors),
    ]
    if sides[0].inter in (PROTESTERS, CIVILIANS) and sides[1].actor:
        sides.reverse()  # a protest: the protesters come first, whoever intervened second
    perpetrators, victims = sides
    sources = _split(get("source", ""))
    location = get("location", "")
    canonical = {
        "ref": get("event_id_cnty", ""),
        "title": f"{event[1]} – {location}" if location else event[1],
        "description": get("notes", ""),
        "date": _iso_date(get("event_date", "")),
        "date_precision": _coded(get("time_precision", ""), DATE_PRECISION, line, "time_precision", errors),
        "place": location,
        "latitude": get("latitude", ""),
        "longitude": get("longitude", ""),
        "geo_precision": _coded(get("geo_precision", ""), GEO_OF_ACLED, line, "geo_precision", errors),
        "country": _countries().get(get("country", "").lower(), get("country", "")),
        "admin1": get("admin1", ""),
        "admin2": get("admin2", ""),
        "admin3": get("admin3", ""),
        "violations": (codes[1] if _positive(killed) else codes[0]) if codes else "",
        "perpetrators": SEPARATOR.join(
            dict.fromkeys(_perpetrator_type(name, perpetrators.inter) for name in perpetrators.everyone)
        ),
        "victim_groups": SEPARATOR.join(
            dict.fromkeys(_victim_group(name, victims.inter) for name in victims.associated or victims.everyone)
        ),
        "killed": killed,
        "source_kinds": SEPARATOR.join("media" for _ in sources),
    }
    return canonical, errors, warnings


@dataclass
class _Side:
    """One side of an ACLED event: its actor, the actors associated with it, their type."""

    actor: str
    associated: list[str]
    inter: int | None

    @property
    def everyone(self) -> list[str]:
        return [name for name in (self.actor, *self.associated) if name]


def _side(actor: str, associated: str, inter: str, line: int, column: str, errors: list[Problem]) -> _Side:
    """Victims are named by the associated actors when there are any ("Civilians (Peru)" with
    "Journalists (Peru)"); perpetrators by all of them."""
    return _Side(actor, _split(associated), _inter(inter, line, column, errors))


def _inter(value: str, line: int, column: str, errors: list[Problem]) -> int | None:
    if not value:
        return None
    if value.isdigit() and 1 <= int(value) <= 8:
        return int(value)
    word = value.lower().split()[0] if value.split() else ""
    code = next((c for prefix, c in INTER_NAMES.items() if word.startswith(prefix)), None)
    if code is None:
        errors.append(
            Problem(
                line, column, _("'%(value)s' is not an ACLED actor type (1–8, or e.g. State forces)", value=value[:40])
            )
        )
    return code


def _perpetrator_type(actor: str, inter: int | None) -> str:
    name = actor.lower()
    return next((kind for word, kind in TYPE_OF_ACTOR_WORDS if word in name), TYPE_OF_INTER.get(inter, "unknown"))


@cache
def _groups_by_name() -> dict[str, str]:
    return {name.lower(): group for group, name in ACTOR_OF_GROUP.items()}


def _victim_group(actor: str, inter: int | None) -> str:
    name = actor.rsplit(" (", 1)[0].strip().lower()
    if name in _groups_by_name():
        return _groups_by_name()[name]
    return next(
        (group for word, group in GROUP_OF_ACTOR_WORDS if word in name), "protester" if inter == PROTESTERS else "other"
    )


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def _positive(value: str) -> bool:
    return value.isdigit() and int(value) > 0


def _coded(value: str, codes: dict[str, str], line: int, column: str, errors: list[Problem]) -> str:
    if value and value not in codes:
        errors.append(
            Problem(line, column, _("'%(value)s' is not one of %(codes)s", value=value[:20], codes=", ".join(codes)))
        )
    return codes.get(value, "")


def _iso_date(value: str) -> str:
    """ACLED's dates: ISO in its API and recent exports, '10 May 2024' in older ones. Others
    are passed on as they are, for the canonical check to report."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return value
