"""Forms accept only posts made from this site's own pages, judged by the browser's Fetch
Metadata (`Sec-Fetch-Site`), on top of each form's CSRF token.

Why not the Referer: pages are sent `Referrer-Policy: no-referrer` (a list's address holds
searches that may name people), so a browser sends no Referer and an `Origin: null` with a
form; Flask-WTF's Referer check over HTTPS (WTF_CSRF_SSL_STRICT) is therefore off, and this
replaces it. Browsers send `Sec-Fetch-Site` whatever the referrer policy; a client that sends
none (an old browser, a script) still needs the CSRF token.
"""

from __future__ import annotations

from flask import Flask, abort, request

from .security import SELF_AUTHENTICATING_BLUEPRINTS

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# "none": the user typed the address or used a bookmark; "same-origin": one of our pages.
ALLOWED_SITES = frozenset({"same-origin", "none"})


def init_fetch_metadata(app: Flask) -> None:
    app.before_request(_refuse_posts_from_other_sites)


def _refuse_posts_from_other_sites():
    if request.method in SAFE_METHODS or request.blueprint in SELF_AUTHENTICATING_BLUEPRINTS:
        return None  # the API authenticates each request by its token, not by a cookie
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ALLOWED_SITES:
        abort(403)
    return None
