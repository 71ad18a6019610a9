"""Plain data for one incident as a user or a file describes it, before it is stored.

Forms, CSV rows and tests all build an `IncidentData`; the service stores it. Keeping this
apart from the ORM objects lets validation and comparison happen without a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date

# A generous box around Peru: a point outside it is almost always a typo or swapped lat/lon.
PERU_BOUNDS = {"lat": (-18.6, 0.2), "lon": (-81.6, -68.4)}


@dataclass
class VictimData:
    group: str
    count: int = 1
    gender: str = "unknown"
    name: str = ""
    organisation: str = ""
    indigenous: bool = False
    lgbtiq: bool = False
    woman_defender: bool = False
    person: str = ""  # the key of a person or organisation of the register (tracker/persons/)


@dataclass
class RequestData:
    """A request for protection made after the incident, and the answer to it."""

    filed_on: date
    authority: str = "mechanism"
    reference: str = ""
    decision: str = "pending"
    decided_on: date | None = None
    measures: list[str] = field(default_factory=list)
    measures_end: date | None = None
    notes: str = ""


@dataclass
class PerpetratorData:
    type: str
    name: str = ""
    involvement: str = "direct"


@dataclass
class SourceData:
    kind: str
    title: str = ""
    url: str = ""
    publisher: str = ""
    published_on: date | None = None
    reliability: str = "F"
    confidential: bool = False


@dataclass
class IncidentData:
    title: str
    date: dt.date  # `dt.date` here and below: in the class body, `date` names this field
    description: str = ""
    date_precision: str = "day"
    end_date: dt.date | None = None
    place: str = ""
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: str = "exact"
    country: str = "PE"
    admin1: str = ""
    admin2: str = ""
    admin3: str = ""
    violations: list[str] = field(default_factory=list)
    victims: list[VictimData] = field(default_factory=list)
    perpetrators: list[PerpetratorData] = field(default_factory=list)
    sources: list[SourceData] = field(default_factory=list)
    requests: list[RequestData] = field(default_factory=list)
    killed: int | None = None
    injured: int | None = None
    detained: int | None = None
    confidence: str = "unknown"
    visibility: str = "internal"
    public_location: str = "admin1"
    consent: bool = False
    event: str = ""


# Incident columns copied one to one from IncidentData.
SCALAR_FIELDS = (
    "title",
    "description",
    "date",
    "date_precision",
    "end_date",
    "place",
    "latitude",
    "longitude",
    "geo_precision",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "killed",
    "injured",
    "detained",
    "confidence",
    "visibility",
    "public_location",
    "consent",
)


def point_problem(latitude: float, longitude: float, country: str) -> str | None:
    """ "outside" or "swapped" for a point of an incident in Peru that cannot be in Peru, else
    None. The incident form and the importer both ask, so they refuse the same points."""
    if country.upper() != "PE":
        return None
    (lat_lo, lat_hi), (lon_lo, lon_hi) = PERU_BOUNDS["lat"], PERU_BOUNDS["lon"]
    if lat_lo <= latitude <= lat_hi and lon_lo <= longitude <= lon_hi:
        return None
    return "swapped" if lat_lo <= longitude <= lat_hi and lon_lo <= latitude <= lon_hi else "outside"
