"""OpenAPI 3 at /api/schema/ and Swagger UI at /api/docs/, served locally under the strict CSP."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.drainage import reset_generator_stats
from openapi_spec_validator import validate as validate_openapi

from config.middleware import CONTENT_SECURITY_POLICY

# Projects, systems, guidelines, findings and institutes; other areas' operations are checked by their own tests.
OURS = ("/api/v1/projects", "/api/v1/systems", "/api/v1/guidelines", "/api/v1/findings",
        "/api/v1/institutes")  # fmt: skip
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_generation_validates_and_raises_no_warning(tmp_path, capsys):
    """drf-spectacular's own validation (OpenAPI 3 JSON schema), failing on any warning: an
    endpoint whose body it cannot describe, an enum name collision, an unknown path parameter."""
    reset_generator_stats()  # its counts live for the whole process
    try:
        call_command(
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "schema.yaml"),
            stdout=StringIO(),
        )
    except Exception as exc:  # SchemaGenerationError, after printing the warnings to stderr
        pytest.fail(f"{exc}\n{capsys.readouterr().err}")
    validate_openapi(yaml.safe_load((tmp_path / "schema.yaml").read_text()))


def test_the_served_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_openapi(schema)
    for prefix in OURS:
        assert any(path.startswith(prefix) for path in schema["paths"]), prefix


def _operations(schema):
    for path, item in schema["paths"].items():
        if path.startswith(OURS):
            for method, operation in item.items():
                if method in METHODS:
                    yield path, method, operation


def test_every_operation_documents_its_errors_with_the_error_shape(schema):
    error_ref = "#/components/schemas/Error"
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        for code in ("401", "403", "429"):
            assert responses[code]["content"]["application/json"]["schema"]["$ref"] == error_ref, (
                method,
                path,
                code,
            )
        if "{" in path or method == "get":
            assert "404" in responses, (method, path)
        if method != "get":
            assert "400" in responses, (method, path)
        assert any(code.startswith("2") for code in responses), (method, path)
    body = schema["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"status", "code", "message"}
    assert body["properties"]["fields"]["additionalProperties"]["items"]["type"] == "string"


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _untyped(node, where="") -> list[str]:
    """Objects with neither properties nor a typed additionalProperties, and values with no
    type at all: what a client cannot rely on."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" not in node:
            extra = node.get("additionalProperties")
            if not isinstance(extra, dict) or not extra:
                found.append(where)
        for key, value in node.items():
            found += _untyped(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _untyped(value, f"{where}[{i}]")
    return found


def test_request_and_response_bodies_are_described_exactly(schema):
    components = schema["components"]["schemas"]
    seen, queue = set(), []
    for path, method, operation in _operations(schema):
        queue += list(_refs(operation))
        request = operation.get("requestBody")
        if request:
            # JSON only: no form encodings that the endpoints would refuse or mangle.
            assert set(request["content"]) == {"application/json"}, (method, path)
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        queue += list(_refs(components[name]))
    untyped = [u for name in sorted(seen) for u in _untyped(components[name], name)]
    assert not untyped, f"untyped objects: {untyped}"
    assert {
        "Project",
        "ProjectSummary",
        "ProjectCreateRequest",
        "Finding",
        "GuidelineVersion",
    } <= seen


def test_bearer_tokens_are_the_documented_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method, operation in _operations(schema):
        assert {"bearerAuth": []} in operation["security"], (method, path)


def test_swagger_ui_is_served_locally_with_no_inline_script_or_style(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in html
    assert "style=" not in html
    assert "//cdn" not in html
    assert "https://" not in html
    # Scripts, styles and icons; links (<a href>) lead to pages, not assets.
    for asset in re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html):
        served = client.get(asset.replace("&amp;", "&"))
        assert served.status_code == 200, asset
        if "script" in asset:
            assert served["Content-Type"].startswith("application/javascript")
            init = served.content.decode()
            assert "SwaggerUIBundle" in init
            assert "/api/schema/" in init
            assert '"validatorUrl": null' in init
        if hasattr(served, "streaming_content"):
            b"".join(served.streaming_content)
