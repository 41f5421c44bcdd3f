"""Where the API is documented: the OpenAPI schema (always public: integrators load it into their tools),
and a documentation page outside production.

The page is RapiDoc 9.3.8 from the npm registry, pinned and vendored under ``static/vendor/`` (no CDN,
which the Content-Security-Policy would block, and no inline script). In production there is no page:
the JSON schema is what integrators need, and a page is one more thing to serve to strangers.
"""

from __future__ import annotations

import html
from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin

from qa_app.settings import Settings

RAPIDOC = "/static/vendor/rapidoc-9.3.8.min.js"


class VendoredRapidocPlugin(OpenAPIRenderPlugin):
    """The documentation page, at ``/api/schema`` (and ``/api/schema/rapidoc``)."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/rapidoc"])

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        spec_url = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script type="module" src="{RAPIDOC}"></script>
</head>
<body>
<rapi-doc spec-url="{spec_url}" render-style="read" show-header="false" allow-server-selection="false"
  allow-authentication="true" theme="light" load-fonts="false" regular-font="system-ui, sans-serif"
  mono-font="ui-monospace, monospace"></rapi-doc>
</body>
</html>
""".encode()


class SchemaOnlyPlugin(JsonRenderPlugin):
    """Production: ``/api/schema/openapi.json`` and nothing else (``/api/schema`` is "not found")."""

    def __init__(self) -> None:
        super().__init__(path="/openapi.json")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if not request.url.path.endswith("/openapi.json"):
            raise NotFoundException()
        return super().render(request, openapi_schema)


def render_plugins(settings: Settings) -> list[OpenAPIRenderPlugin]:
    if settings.is_production:
        return [SchemaOnlyPlugin()]
    return [VendoredRapidocPlugin(), JsonRenderPlugin(path="/openapi.json")]
