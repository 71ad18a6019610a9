"""The map page's "Download HTML": the choropleth of the current filters as one self-contained
HTML file, built by folium, for a report or to send on. Leaflet's script and styles (and the
images its styles use) are copied into the file, so it opens without our server and without
a network; only map tiles, if a tile URL is configured, come from the tile host. Above the map
the title, the period and the filters in words; below it the legend and the credits
(tracker/maps/captions.py), so a printout says as much as the image downloads.

The file holds region polygons and their aggregates from `region_features` (so the public's
generalisation holds) and nothing about single incidents: no coordinates, names or sources.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

import folium
from branca.element import Element
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import escape

from ..filters import IncidentFilter
from ..regions.choropleth_image import BORDER, class_breaks, class_colour
from .captions import credit_lines, map_text
from .choropleth import region_features
from .page import base_map, map_figure

STYLE = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; color: #222; }
.map-head, .map-foot { padding: .5rem 1rem; }
.map-head h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
.map-head p, .map-foot p { margin: .1rem 0; font-size: .9rem; }
.folium-map { flex: 1 1 auto; min-height: 420px; width: 100%; position: relative; }
.map-legend { display: flex; flex-wrap: wrap; gap: .2rem .9rem; align-items: center; }
.map-legend i { display: inline-block; width: 1rem; height: .8rem; margin-right: .3rem;
                border: 1px solid #999; vertical-align: middle; }
.map-source { color: #555; font-size: .8rem !important; }
.foliumpopup th { text-align: left; padding-right: .5rem; vertical-align: top; }
"""


@lru_cache(maxsize=4)
def inlined_leaflet(static_folder: str) -> tuple[str, str]:
    """Leaflet's JavaScript and CSS from static/vendor/, ready to paste into a page: the
    source map comment dropped and the images the CSS refers to turned into data: URLs."""
    folder = Path(static_folder) / "vendor" / "leaflet"
    js = (folder / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", js)

    def data_url(match: re.Match) -> str:
        image = folder / match.group(1)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode('ascii')})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_url, (folder / "leaflet.css").read_text(encoding="utf-8"))
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("Leaflet's files cannot be inlined as they are")
    return js, css


class StandaloneMap(folium.Map):
    """A folium Map whose page carries Leaflet itself instead of links to CDNs (folium's
    jQuery, Bootstrap and Font Awesome are not needed), with a heading above and a legend and
    source line below."""

    def __init__(self, js: str, css: str, head: str, foot: str, **kwargs):
        super().__init__(**kwargs)
        self.default_js, self.default_css = [], []
        self.inline_js, self.inline_css, self.head, self.foot = js, css, head, foot

    def render(self, **kwargs):
        figure = self.get_root()
        figure.html.add_child(Element(self.head), name="map_head")
        super().render(**kwargs)
        figure.header.add_child(
            Element(
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<style>{self.inline_css}</style>\n<style>{STYLE}</style>\n"
                f"<script>{self.inline_js}</script>"
            ),
            name=self.get_name(),
        )  # instead of folium's page styles
        figure.html.add_child(Element(self.foot), name="map_foot")


def _legend(breaks: list[int]) -> str:
    bounds = [(0, 0)] + [(previous + 1, upper) for previous, upper in zip([0, *breaks], breaks, strict=False)]
    items = "".join(
        f'<span><i style="background:{class_colour(upper, breaks)}"></i>'
        f"{upper if start == upper else f'{start}–{upper}'}</span>"
        for start, upper in bounds
    )
    return f'<p class="map-legend"><strong>{escape(_("Incidents"))}</strong>{items}</p>'


def _popup_properties(properties: dict) -> dict:
    """What a region's popup shows. folium's popup puts values in as HTML, so text is escaped."""
    top = "<br>".join(str(escape(f"{v['label']} ({v['count']})")) for v in properties["top"])
    return {
        "name": str(escape(properties["name"])),
        "count": properties["count"],
        "killed": properties["killed"],
        "top": top or "–",
    }


def standalone_map_html(
    filters: IncidentFilter,
    user,
    level: str,
    public: bool,
    static_folder: str,
    tile_url: str = "",
    tile_attribution: str = "",
) -> str:
    """The choropleth of `level` for these filters and this reader, as a complete HTML document."""
    data = region_features(filters, user, level, public)
    breaks = class_breaks(data["properties"]["max"])
    features = [
        {"type": "Feature", "geometry": f["geometry"], "properties": _popup_properties(f["properties"])}
        for f in data["features"]
    ]
    text = map_text(filters, level, public)
    on_map = data["properties"]["total"] - data["properties"]["unmatched"]
    shown = ngettext("%(num)d incident on the map.", "%(num)d incidents on the map.", on_map)
    head = (
        f'<header class="map-head"><h1>{escape(text.title)}</h1>'
        f'<p class="map-period">{escape(text.period)} {escape(shown)}</p>'
        f'<p class="map-filters">{escape(text.filters)}</p></header>'
    )
    lines = credit_lines(text, level, tile_attribution if tile_url else "")
    credits = "".join(f'<p class="map-source">{escape(line)}</p>' for line in lines)
    foot = f'<footer class="map-foot">{_legend(breaks)}{credits}</footer>'
    js, css = inlined_leaflet(static_folder)
    fmap = base_map(
        StandaloneMap,
        tile_url,
        tile_attribution,
        prefer_canvas=False,  # SVG: sharp when printed
        js=js,
        css=css,
        head=head,
        foot=foot,
    )
    map_figure(fmap).title = text.title
    if features:
        labels = [_("Region"), _("Incidents"), _("Killed"), _("Most frequent violations")]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=text.title,
            style_function=lambda f: {
                "color": BORDER,
                "weight": 1,
                "fillOpacity": 0.7,
                "fillColor": class_colour(f["properties"]["count"], breaks),
            },
            highlight_function=lambda f: {"weight": 3},
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
            popup=folium.GeoJsonPopup(
                fields=["name", "count", "killed", "top"],
                aliases=[str(escape(label)) for label in labels],
                localize=False,
            ),
        ).add_to(fmap)
    return fmap.get_root().render()
