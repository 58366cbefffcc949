"""Pages that carry their own inline code: a Content-Security-Policy naming it by hash.

The workbench's policy (``iru.web.app.CSP``) allows scripts and styles from this origin
only. Two pages cannot follow it as they are, and are given a policy of their own that
adds the SHA-256 of each inline block they hold — nothing else inline runs:

* ``/api/docs``: Swagger UI from the vendored ``swagger-ui-dist`` (``static/vendor``, no
  CDN), started by the one inline script FastAPI's :func:`get_swagger_ui_html` writes.
* a referral package's readable page (``/referrals/{ref}/package.html``): stored in the
  evidence store by its hash and mailed to platforms as one self-contained file, so its
  inline ``<style>`` stays in it; the page is served with no script allowed at all.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

DOCS_URL = "/api/docs"
SWAGGER_JS = "/static/vendor/swagger-ui-bundle.js"
SWAGGER_CSS = "/static/vendor/swagger-ui.css"
_BLOCK = {
    "script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I),
    "style": re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I),
}


def inline_hashes(page: str, tag: str) -> list[str]:
    """CSP sources (``'sha256-…'``) for each inline ``<script>``/``<style>`` block of ``page``."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _BLOCK[tag].findall(page)
    ]


def package_csp(page: str) -> str:
    """The policy of a stored package page: its own inline styles, no scripts, nothing else."""
    styles = " ".join(inline_hashes(page, "style")) or "'none'"
    return (
        f"default-src 'none'; style-src {styles}; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def docs_csp(page: str) -> str:
    """The policy of the API docs page: this origin, plus its inline start-up script."""
    scripts = " ".join(["'self'", *inline_hashes(page, "script")])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def api_docs_router(openapi_url: str, title: str) -> APIRouter:
    """``/api/docs``: Swagger UI over ``openapi_url``, from the vendored files."""
    router = APIRouter()

    @router.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS,
            swagger_favicon_url="/favicon.ico",
        )
        html = bytes(page.body).decode()
        page.headers["Content-Security-Policy"] = docs_csp(html)
        return page

    return router


__all__ = [
    "DOCS_URL",
    "SWAGGER_CSS",
    "SWAGGER_JS",
    "api_docs_router",
    "docs_csp",
    "inline_hashes",
    "package_csp",
]
