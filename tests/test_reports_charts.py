"""The report's charts keep their words inside the picture: titles, captions and labels are
wrapped to the figure's width, at every size the page and the documents draw (a bar per code,
from one to all of a section's; a trend of a month to three years). No database."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask_babel import force_locale

from tests.support import languages_only
from tracker.counts.model import Report, Row, SectionReport
from tracker.counts.sections import SPECS
from tracker.filters import IncidentFilter
from tracker.reports.charts import chart_figure, chart_for, chart_title, months_of
from tracker.taxonomy import section_codes

FILTERS = IncidentFilter(
    victim_group=["indigenous_leader", "environmental_defender", "land_defender"],
    perpetrator=["illegal_mining", "illegal_logging", "drug_trafficking"],
    admin1=["Madre de Dios", "Loreto", "Ucayali"],
    status=["verified", "published"],
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An app for its languages only: nothing here reads the database."""
    with languages_only(tmp_path_factory.mktemp("charts")) as app:
        yield app


def report_of(codes: tuple[str, ...], period: tuple[date, date]) -> Report:
    months = months_of(*period)
    section = SectionReport(
        spec=SPECS["protection"],
        totals={"incidents": 40, "killed": 0, "injured": 0, "detained": 0, "victims": 40},
        breakdowns={
            "violation": [Row(code, 3 + i) for i, code in enumerate(codes)],
            "month": [Row(month, i % 4) for i, month in enumerate(months)],
        },
    )
    return Report(*period, FILTERS, [section], 40, 0, datetime(2025, 1, 1))


def assert_inside(fig) -> None:
    """Every drawn text and bar lies within the figure (in inches, a pixel of slack), once laid
    out as a saved file is."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box = fig.get_tightbbox(canvas.get_renderer())
    width, height = fig.get_size_inches()
    slack = 1 / fig.dpi
    assert box.x0 >= -slack and box.y0 >= -slack, box
    assert box.x1 <= width + slack and box.y1 <= height + slack, (box, width, height)


@pytest.mark.parametrize("locale", ["es", "en"])
@pytest.mark.parametrize("rows", [1, 5, len(section_codes("protection"))])
def test_bar_charts_keep_their_words_inside(app, locale, rows):
    period = (date(2024, 1, 1), date(2024, 12, 31))
    report = report_of(section_codes("protection")[:rows], period)
    with force_locale(locale):
        title = chart_title(report, "protection", "violation")
        caption = "A long caption that says the period and every filter of the report. " * 3
        fig = chart_figure(report.section("protection"), "violation", title, caption, period)
    assert_inside(fig)
    assert "\n" in fig.get_suptitle() or len(title) < 70  # a long title was wrapped, not cut


@pytest.mark.parametrize("locale", ["es", "en"])
@pytest.mark.parametrize("period", [(date(2024, 3, 1), date(2024, 3, 31)), (date(2022, 1, 1), date(2024, 12, 31))])
def test_trends_keep_their_words_inside(app, locale, period):
    report = report_of(("killing",), period)
    with force_locale(locale):
        fig = chart_figure(
            report.section("protection"), "month", chart_title(report, "protection", "month"), "x " * 200, period
        )
    assert_inside(fig)


def test_a_chart_says_its_period_filters_and_source_in_its_language(app):
    report = report_of(("killing", "threat"), (date(2024, 1, 1), date(2024, 12, 31)))
    with force_locale("en"):
        svg = " ".join(chart_for(report, "protection", "violation", "svg").decode().split())
    for words in ("Protection of human rights", "Between January and December 2024", "Madre de Dios", "Killing"):
        assert words in svg, words
    assert "Source: Civic space tracker" in svg
    with force_locale("es"):
        svg = " ".join(chart_for(report, "protection", "month", "svg").decode().split())
    assert "Entre enero y diciembre de 2024" in svg and "ene 2024" in svg
