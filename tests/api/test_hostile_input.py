"""Input the schema does not allow is refused with 400 (or 404), never a 500 and never quietly
reinterpreted: found by running schemathesis over the schema."""

from __future__ import annotations

import pytest

from tests.api_clients import bearer, error_of


def test_an_unknown_api_address_answers_in_the_error_shape(alice):
    client = bearer(alice)
    response = client.get("/api/v1/nowhere/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    response = client.delete("/api/v1/projects/x/access-windows/null,null/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_missing_trailing_slash_is_pointed_out(alice):
    response = bearer(alice).get("/api/v1/projects")
    assert response.status_code == 404
    assert "Addresses end with a slash: /api/v1/projects/" in error_of(response)["message"]


def test_unknown_addresses_still_need_credentials(anonymous):
    assert anonymous.get("/api/v1/nowhere/").status_code == 401


@pytest.mark.parametrize("size", ["null", "0", "-3", "501", "1.5"])
def test_a_page_size_out_of_range_is_refused(alice, size):
    response = bearer(alice).get("/api/v1/projects/", {"page_size": size})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"page_size": ["A whole number from 1 to 500."]}


@pytest.mark.parametrize(
    "moment",
    ["0263-01-17T22:50:18+23:52", "4195-09-02T21:15:54+21:18", "0001-01-01T00:00:00+01:00"],
)
def test_date_filters_with_any_valid_offset_do_not_fail(alice, project, moment):
    response = bearer(alice).get("/api/v1/systems/", {"created_after": moment})
    assert response.status_code in (200, 400)


def test_a_nul_character_in_a_reference_reads_as_no_such_object(bob, project):
    response = bearer(bob).post("/api/v1/findings/", {"project": "fron\x00tier", "title": "x"})
    assert response.status_code == 400
    assert "does not exist" in error_of(response)["fields"]["project"][0]


def test_a_value_the_database_refuses_is_a_400(alice, project):
    response = bearer(alice).get("/api/v1/projects/a%00b/")
    assert response.status_code == 400
    assert "cannot be stored" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 0),
        ("severity", 3),
        ("runs", {}),
        ("runs", ["1"]),
        ("workstream", "1"),
        ("body", []),
    ],
)
def test_values_of_the_wrong_type_are_refused_not_converted(bob, project, field, value):
    finding = project.findings.get()
    response = bearer(bob).patch(f"/api/v1/findings/{finding.pk}/", {field: value})
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_a_boolean_must_be_a_boolean(alice, project, system):
    project.project_systems.filter(system=system).delete()
    response = bearer(alice).post(
        f"/api/v1/projects/{project.slug}/systems/", {"system": system.pk, "is_reference": 1}
    )
    assert response.status_code == 400
    assert "is_reference" in error_of(response)["fields"]


def test_an_empty_base_url_is_allowed_and_a_bad_one_refused(alice):
    client = bearer(alice)
    ok = client.post(
        "/api/v1/systems/",
        {"developer": "L", "name": "M", "inspect_model": "mockllm/model", "base_url": ""},
    )
    assert ok.status_code == 201
    assert ok.json()["base_url"] == ""
    bad = client.patch(f"/api/v1/systems/{ok.json()['id']}/", {"base_url": "not a url"})
    assert "base_url" in error_of(bad)["fields"]


def test_an_address_with_a_newline_still_answers_in_the_error_shape(alice):
    response = bearer(alice).post("/api/v1/projects/a%0Ab.c/systems/", {"system": 1})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
