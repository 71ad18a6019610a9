"""Links in map popups, built without a request so the services stay usable from the CLI."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from werkzeug.datastructures import MultiDict

from ..filters import IncidentFilter


def path_for(endpoint: str, args: list[tuple[str, str]] | None = None, **values: str) -> str:
    """A site-relative URL; repeated query parameters are kept (url_for drops them)."""
    script_name = request.script_root if has_request_context() else ""
    adapter = current_app.url_map.bind("", script_name=script_name or "/")
    return adapter.build(endpoint, MultiDict([*values.items(), *(args or [])]))


def region_list_path(filters: IncidentFilter, regions: dict[str, list[str]]) -> str:
    """The incident list with the map's filters, narrowed to a region: `regions` maps
    admin1/admin2 to the stored names that stand for it (they replace the filter's own)."""
    args = [(name, value) for name, value in filters.to_args() if name not in regions]
    args += [(name, value) for name, values in regions.items() for value in values]
    return path_for("incidents.list_incidents", args)
