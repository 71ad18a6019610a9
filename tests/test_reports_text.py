"""The report's words: the score with its scale, period phrases, the ready-made sentences (their
scope, plurals, zeros and numbers in both languages), the filters said in words and the
ready-made periods. Hand-built reports, no database: the app only gives the language."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime

import pytest
from flask_babel import force_locale

from tests.support import languages_only
from tracker.counts.model import Report, Row, SectionReport
from tracker.counts.sections import SPECS
from tracker.errors import ServiceError
from tracker.filter_words import filter_lines
from tracker.filters import IncidentFilter
from tracker.reports.periods import quarter_presets, year_presets
from tracker.reports.scope import (
    gender_words,
    period_phrase,
    perpetrator_words,
    scope_phrases,
    victim_group_words,
)
from tracker.reports.scores import civicus_score
from tracker.reports.sentences import build_sentences
from tracker.taxonomy import GENDERS, PERPETRATOR_TYPES, VICTIM_GROUPS

YEAR = (date(2024, 1, 1), date(2024, 12, 31))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An app for its languages only: nothing here reads the database."""
    with languages_only(tmp_path_factory.mktemp("text")) as app:
        yield app


def in_language(locale: str, function, *args):
    with force_locale(locale):
        return function(*args)


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


def test_score_heading_says_its_scale_with_the_languages_decimal_sign(app):
    score = civicus_score(40)
    assert in_language("en", score.heading) == "Score: 2.6 out of 5 (Repressed) — CIVICUS score 40/100, rebased"
    assert in_language("es", score.heading) == "Puntaje: 2,6 sobre 5 (Represivo) — puntaje CIVICUS 40/100 reescalado"
    assert in_language("es", civicus_score(100).heading).startswith("Puntaje: 5,0 sobre 5 (Abierto)")


@pytest.mark.parametrize("value", [-1, 100.5, 250])
def test_out_of_range_scores_are_refused_with_a_reason(app, value):
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
            "Between March 5, 2024 and June 20, 2024",
            "Entre el 5 de marzo de 2024 y el 20 de junio de 2024",
        ),
        (date(2024, 3, 5), date(2024, 3, 5), "On March 5, 2024", "El 5 de marzo de 2024"),
    ],
)
def test_period_phrases(app, start, end, en, es):
    assert (in_language("en", period_phrase, start, end), in_language("es", period_phrase, start, end)) == (en, es)


def _report(
    killed: int,
    by_region: dict[str, int],
    women: tuple[int, int],
    incidents: int = 7,
    filters: IncidentFilter | None = None,
) -> Report:
    totals = {"incidents": incidents, "killed": killed, "injured": 0, "detained": 0, "victims": 9}
    section = SectionReport(
        spec=SPECS["protection"],
        totals=totals,
        breakdowns={},
        women_defenders=Row("female", *women),
        killing_incidents=len(by_region),
        killed_by_admin1=[Row(k, n) for k, n in by_region.items()],
    )
    f = filters or IncidentFilter(status=["verified", "published"])
    return Report(*YEAR, f, [section], incidents, 0, datetime(2025, 1, 1))


def _protest_report(incidents: int, killed: int, injured: int, detained: int) -> Report:
    totals = {"incidents": incidents, "killed": killed, "injured": injured, "detained": detained, "victims": 50}
    section = SectionReport(spec=SPECS["1.2"], totals=totals, breakdowns={})
    return Report(
        *YEAR, IncidentFilter(status=["verified", "published"]), [section], incidents, 0, datetime(2025, 1, 1)
    )


def texts(report: Report, locale: str) -> list[str]:
    return [s.text for s in build_sentences(report, locale)]


def test_sentences_state_the_figures_in_english(app):
    report = _report(5, {"Loreto": 2, "Ucayali": 1, "Puno": 1}, (3, 4))
    incidents, killed, women = build_sentences(report, "en")
    assert incidents.text == (
        "Between January and December 2024, at least 7 attacks on human rights defenders were recorded."
    )
    assert killed.text == (
        "Between January and December 2024, at least 5 people were killed in attacks on "
        "human rights defenders, 3 of them in Loreto and Ucayali."
    )
    assert (killed.count, killed.dimension, killed.key) == (5, "violation", "killing")
    assert women.text == "Between January and December 2024, at least 4 women defenders were attacked in 3 incidents."


def test_sentences_state_the_figures_in_spanish(app):
    killed, women = texts(_report(5, {"Loreto": 2, "Ucayali": 1, "Puno": 1}, (3, 4)), "es")[1:]
    assert killed == (
        "Entre enero y diciembre de 2024, al menos 5 personas fueron asesinadas en agresiones a "
        "personas defensoras de derechos humanos, 3 de ellas en Loreto y Ucayali."
    )
    assert women == "Entre enero y diciembre de 2024, al menos 4 mujeres defensoras fueron agredidas en 3 incidentes."


def test_sentences_of_one(app):
    incidents, killed, women = texts(_report(1, {"Loreto": 1}, (1, 1), incidents=1), "en")
    assert incidents.endswith("at least 1 attack on human rights defenders was recorded.")
    assert killed.endswith("at least 1 person was killed in attacks on human rights defenders, in Loreto.")
    assert women.endswith("at least 1 woman defender was attacked in 1 incident.")
    incidents, killed, women = texts(_report(1, {"Loreto": 1}, (1, 1), incidents=1), "es")
    assert incidents.endswith("se registró al menos 1 agresión a personas defensoras de derechos humanos.")
    assert killed.endswith(
        "al menos 1 persona fue asesinada en agresiones a personas defensoras de derechos humanos, en Loreto."
    )
    assert women.endswith("al menos 1 mujer defensora fue agredida en 1 incidente.")


def test_figures_of_zero_are_said_as_none_recorded(app):
    for locale in ("en", "es"):
        sentences = texts(_report(0, {}, (0, 0), incidents=0), locale) + texts(_protest_report(0, 0, 0, 0), locale)
        assert not any("at least 0" in s or "al menos 0" in s for s in sentences)
    assert texts(_report(0, {}, (0, 0), incidents=0), "en") == [
        "Between January and December 2024, no attacks on human rights defenders were recorded.",
        "Between January and December 2024, no killings of human rights defenders were recorded.",
        "Between January and December 2024, no attacks on women defenders were recorded.",
    ]
    assert texts(_protest_report(0, 0, 0, 0), "es") == [
        "Entre enero y diciembre de 2024, no se registraron incidentes que afectaran la libertad de reunión pacífica."
    ]


def test_a_toll_leaves_out_its_zeros(app):
    _, toll = texts(_protest_report(2, 3, 20, 0), "en")
    assert toll.endswith(
        "in incidents affecting freedom of peaceful assembly, at least 3 people killed and 20 people injured."
    )
    _, toll = texts(_protest_report(1, 0, 1, 0), "es")
    assert toll.endswith(
        "en incidentes que afectaron la libertad de reunión pacífica, al menos 1 persona resultó herida."
    )


def test_killings_without_a_number_of_dead_are_not_said_as_zero(app):
    report = _report(0, {"Loreto": 0}, (0, 0))
    killed = texts(report, "en")[1]
    assert killed == (
        "Between January and December 2024, 1 killing of a human rights defender was recorded; "
        "the number of people killed is not known."
    )


def test_numbers_are_written_as_the_language_writes_them(app):
    report = _report(1234, {"Loreto": 1234}, (1500, 2345), incidents=12345)
    incidents, killed, women = texts(report, "en")
    assert "at least 12,345 attacks" in incidents and "at least 1,234 people" in killed
    assert "2,345 women defenders were attacked in 1,500 incidents" in women
    incidents, killed, women = texts(report, "es")
    assert "al menos 12.345 agresiones" in incidents and "al menos 1.234 personas" in killed
    assert "2.345 mujeres defensoras fueron agredidas en 1.500 incidentes" in women


ALL_FILTERS = IncidentFilter(
    violation=["threat"],
    victim_group=["journalist"],
    gender=["female"],
    perpetrator=["police", "military"],
    country=["PE"],
    admin1=["Puno"],
    admin2=["San Román"],
    status=["submitted"],
    confidence=["confirmed"],
    q="minería",
)


def test_sentences_of_a_filtered_report_say_every_filter(app):
    report = _report(2, {"Puno": 2}, (1, 1), filters=ALL_FILTERS)
    scope = (
        "Between January and December 2024, in the province of San Román, in Puno, in Peru, "
        "against journalists who are women, by the police or the armed forces, in incidents of the type threat, "
        "with confidence confirmed, with status submitted, searching for “minería”, "
    )
    incidents, killed, women = texts(report, "en")
    assert incidents == scope + "at least 7 attacks on human rights defenders were recorded."
    assert killed == scope + "at least 2 people were killed in attacks on human rights defenders."  # no "in Puno" twice
    assert women.startswith(scope)
    alcance = (
        "Entre enero y diciembre de 2024, en la provincia de San Román, en Puno, en Perú, "
        "contra periodistas que son mujeres, por parte de la policía o las Fuerzas Armadas, "
        "en incidentes del tipo amenaza, con grado de certeza confirmado, con estado enviado, buscando «minería», "
    )
    assert (
        texts(report, "es")[0]
        == alcance + "se registraron al menos 7 agresiones a personas defensoras de derechos humanos."
    )


def test_every_filter_the_report_takes_is_said_in_words(app):
    """A filter added to IncidentFilter without words here makes this fail."""
    unsaid = ("date_from", "date_to", "section")  # the period opens every sentence; sections are the headings
    for name in (f.name for f in fields(IncidentFilter) if f.name not in unsaid):
        alone = replace(IncidentFilter(status=["verified", "published"]), **{name: getattr(ALL_FILTERS, name)})
        for locale in ("en", "es"):
            assert in_language(locale, scope_phrases, alone), (name, locale)
            if name != "status":  # the statuses counted have a line of their own
                assert in_language(locale, filter_lines, alone), (name, locale)
    assert in_language("en", scope_phrases, IncidentFilter(status=["published", "verified"])) == []


@pytest.mark.parametrize(
    "codes,words",
    [(VICTIM_GROUPS, victim_group_words), (PERPETRATOR_TYPES, perpetrator_words), (GENDERS, gender_words)],
)
def test_every_code_has_words_in_a_sentence(app, codes, words):
    for locale in ("en", "es"):
        said = in_language(locale, words)
        assert set(said) == set(codes) and all(said.values()), locale
    assert in_language("es", words) != in_language("en", words)


def test_methodology_lines_name_filters_by_their_labels(app):
    lines = in_language("en", filter_lines, ALL_FILTERS)
    assert "Department: Puno" in lines and "Victim group: Journalist" in lines
    assert "Perpetrator: Police or Military" in lines and "Text: “minería”" in lines
    assert not any("admin1" in line or "=" in line for line in lines)
    assert "Departamento: Puno" in in_language("es", filter_lines, ALL_FILTERS)


def _periods(presets):
    return {p.label: (p.start.isoformat(), p.end.isoformat()) for p in presets}


def test_ready_made_periods(app):
    today = date(2025, 5, 14)
    assert in_language("en", lambda: _periods(year_presets(today))) == {
        "This year (2025)": ("2025-01-01", "2025-05-14"),
        "Last year (2024)": ("2024-01-01", "2024-12-31"),
        "Last 12 months": ("2024-05-15", "2025-05-14"),
    }
    assert in_language("en", lambda: _periods(quarter_presets(2025, today))) == {
        "Q1 2025": ("2025-01-01", "2025-03-31"),
        "Q2 2025": ("2025-04-01", "2025-05-14"),  # under way: up to today
    }
    assert in_language("es", lambda: _periods(quarter_presets(2024, today))) == {
        "T1 2024": ("2024-01-01", "2024-03-31"),
        "T2 2024": ("2024-04-01", "2024-06-30"),
        "T3 2024": ("2024-07-01", "2024-09-30"),
        "T4 2024": ("2024-10-01", "2024-12-31"),
    }
    assert in_language("en", lambda: _periods(year_presets(date(2024, 2, 29))))["Last 12 months"] == (
        "2023-03-01",
        "2024-02-29",
    )
