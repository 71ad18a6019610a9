"""Score helper and sentences: pure functions, no database."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tracker.counts.model import Report, Row, SectionReport
from tracker.counts.sections import SPECS
from tracker.errors import ServiceError
from tracker.filters import IncidentFilter
from tracker.reports.scores import civicus_score
from tracker.reports.sentences import build_sentences, period_phrase


@pytest.mark.parametrize(
    "value,rebased,band",
    [
        (40, 2.6, "Repressed"),
        (0, 1.0, "Closed"),
        (20, 1.8, "Closed"),
        (21, 1.8, "Repressed"),
        (41, 2.6, "Obstructed"),
        (60, 3.4, "Obstructed"),
        (61, 3.4, "Narrowed"),
        (80, 4.2, "Narrowed"),
        (81, 4.2, "Open"),
        (100, 5.0, "Open"),
        (1.25, 1.1, "Closed"),
    ],
)
def test_civicus_score_is_rebased_and_banded_as_in_the_seed_report(value, rebased, band):
    score = civicus_score(value)
    assert (score.rebased, score.band.en) == (rebased, band)


def test_score_heading_in_both_languages():
    assert civicus_score(40).heading("en") == "Score: 2.6 (Repressed)"
    assert civicus_score(40).heading("es") == "Puntaje: 2.6 (Represivo)"


@pytest.mark.parametrize("value", [-1, 100.5, 250])
def test_out_of_range_scores_are_refused_with_a_reason(value):
    with pytest.raises(ServiceError, match="between 0 and 100"):
        civicus_score(value)


@pytest.mark.parametrize(
    "start,end,en,es",
    [
        (date(2024, 1, 1), date(2024, 12, 31), "Between January and December 2024", "Entre enero y diciembre de 2024"),
        (date(2024, 3, 1), date(2024, 3, 31), "In March 2024", "En marzo de 2024"),
        (
            date(2023, 11, 1),
            date(2024, 2, 29),
            "Between November 2023 and February 2024",
            "Entre noviembre de 2023 y febrero de 2024",
        ),
        (
            date(2024, 3, 5),
            date(2024, 6, 20),
            "Between 5 March 2024 and 20 June 2024",
            "Entre el 5 de marzo de 2024 y el 20 de junio de 2024",
        ),
    ],
)
def test_period_phrases(start, end, en, es):
    assert (period_phrase(start, end, "en"), period_phrase(start, end, "es")) == (en, es)


def _report(killed: int, by_region: dict[str, int], women: tuple[int, int], incidents: int = 7) -> Report:
    totals = {"incidents": incidents, "killed": killed, "injured": 0, "detained": 0, "victims": 9}
    section = SectionReport(
        spec=SPECS["protection"],
        totals=totals,
        breakdowns={},
        women_defenders=Row("female", *women),
        killing_incidents=len(by_region),
        killed_by_admin1=[Row(k, n) for k, n in by_region.items()],
    )
    return Report(date(2024, 1, 1), date(2024, 12, 31), IncidentFilter(), [section], incidents, 0, datetime(2025, 1, 1))


def test_sentences_state_the_figures_in_both_languages():
    incidents, killed, women = build_sentences(_report(5, {"Loreto": 2, "Ucayali": 1, "Puno": 1}, (3, 4)))
    assert (
        incidents.en == "Between January and December 2024, at least 7 attacks on human rights defenders were recorded."
    )
    assert killed.en == (
        "Between January and December 2024, at least 5 people were killed in attacks on "
        "human rights defenders, 3 of them in Loreto and Ucayali."
    )
    assert killed.es == (
        "Entre enero y diciembre de 2024, al menos 5 personas fueron asesinadas en agresiones a "
        "personas defensoras de derechos humanos, 3 de ellas en Loreto y Ucayali."
    )
    assert (killed.count, killed.dimension, killed.key) == (5, "violation", "killing")
    assert women.en == "Between January and December 2024, at least 4 women defenders were attacked in 3 incidents."
    assert (
        women.es == "Entre enero y diciembre de 2024, al menos 4 mujeres defensoras fueron agredidas en 3 incidentes."
    )


def test_sentences_handle_one_and_none():
    incidents, killed, women = build_sentences(_report(1, {"Loreto": 1}, (1, 1), incidents=1))
    assert "at least 1 attack on human rights defenders was recorded" in incidents.en
    assert "se registró al menos 1 agresión a personas" in incidents.es
    assert killed.en.endswith("at least 1 person was killed in attacks on human rights defenders, in Loreto.")
    assert killed.es.endswith(
        "al menos 1 persona fue asesinada en agresiones a personas defensoras de derechos humanos, en Loreto."
    )
    assert women.en.endswith("at least 1 woman defender was attacked in 1 incident.")
    assert women.es.endswith("al menos 1 mujer defensora fue agredida en 1 incidente.")
    incidents, killed, women = build_sentences(_report(0, {}, (0, 0), incidents=0))
    assert incidents.en.endswith("no attacks on human rights defenders were recorded.")
    assert killed.es.endswith("no se registraron asesinatos de personas defensoras de derechos humanos.")
    assert women.en.endswith("no attacks on women defenders were recorded.")
