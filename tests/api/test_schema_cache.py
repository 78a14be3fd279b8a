"""/api/schema/ is generated once per process (it depends on the code and the settings only), and
/api/docs/ leads back to Concord and to the page where one gets a token."""

from __future__ import annotations

import re

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate as validate_openapi

from config.api import views
from config.middleware import CONTENT_SECURITY_POLICY


@pytest.fixture
def generations(monkeypatch):
    """How many times the schema was generated, from an empty cache."""
    calls: list[int] = []

    class CountingGenerator(SchemaGenerator):
        def get_schema(self, *args, **kwargs):
            calls.append(1)
            return super().get_schema(*args, **kwargs)

    monkeypatch.setattr(views.SchemaView, "generator_class", CountingGenerator)
    views._forget_schemas()
    yield calls
    views._forget_schemas()


@pytest.mark.django_db
def test_the_schema_is_generated_once_and_stays_valid(client, generations):
    first = client.get("/api/schema/")
    second = client.get("/api/schema/")
    as_json = client.get("/api/schema/", {"format": "json"})
    assert len(generations) == 1
    assert first.status_code == second.status_code == as_json.status_code == 200
    assert first.content == second.content
    schema = yaml.safe_load(second.content)
    validate_openapi(schema)
    assert as_json.json() == schema
    assert second["Content-Disposition"].startswith('inline; filename="Concord API')


@pytest.mark.django_db
def test_the_schema_is_the_same_for_everyone(client, alice, charlie, generations):
    anonymous = client.get("/api/schema/").content
    client.force_login(charlie)
    assert client.get("/api/schema/").content == anonymous
    assert len(generations) == 1


@pytest.mark.django_db
def test_query_strings_do_not_multiply_the_cache(client, generations):
    for n in range(3):
        assert client.get("/api/schema/", {"lang": f"x{n}", "version": f"v{n}"}).status_code == 200
    assert len(generations) == 1
    assert len(views._schemas) == 1


@pytest.mark.django_db
def test_a_settings_change_regenerates_the_schema(client, settings, generations):
    client.get("/api/schema/")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 20}
    client.get("/api/schema/")
    client.get("/api/schema/")
    assert len(generations) == 2


@pytest.mark.django_db
def test_the_docs_lead_back_to_concord_and_say_how_to_get_a_token(client, alice):
    client.force_login(alice)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.content.decode()
    assert re.search(r'<a class="api-docs-home" href="/">[^<]*Back to Concord</a>', html)
    assert 'Get a token: <a href="/accounts/tokens/">API tokens</a>' in html
    assert "Authorization: Bearer &lt;token&gt;" in html
    assert "<style" not in html
    assert "style=" not in html
    assert '<div id="swagger-ui"></div>' in html


@pytest.mark.django_db
def test_staff_too_are_pointed_at_their_tokens_page(client, pm):
    pm.is_staff = True
    pm.save(update_fields=["is_staff"])
    client.force_login(pm)
    html = client.get("/api/docs/").content.decode()
    assert 'href="/accounts/tokens/"' in html
    assert "ask a programme manager" not in html
