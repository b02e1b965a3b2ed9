"""The OpenAPI document: generated from the code, covering every route, valid."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from outreach.web.api.spec import openapi_path


def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200
    return response.get_json()


def test_the_document_validates(client):
    spec = document(client)
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_document_lists_every_api_route_and_method(app, client):
    spec = document(client)
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert documented == routes
    assert ("/api/v1/contacts/{contact_id}/opt-out", "post") in routes


def test_every_operation_has_a_summary_and_its_errors(client):
    spec = document(client)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (method, path)
            assert any(code.startswith("2") for code in op["responses"]), (method, path)
            if path != "/api/v1/openapi.json":
                assert "401" in op["responses"], (method, path)
            for name in re.findall(r"{(\w+)}", path):
                assert any(p["name"] == name and p["in"] == "path" for p in op["parameters"])
    contacts = spec["paths"]["/api/v1/contacts"]
    assert {p["name"] for p in contacts["get"]["parameters"]} == {
        "region",
        "consent",
        "list",
        "phone",
        "page",
        "per_page",
    }
    assert "requestBody" in contacts["post"]
    assert spec["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


def test_the_schemas_describe_what_the_views_answer(client):
    schemas = document(client)["components"]["schemas"]
    assert set(schemas["ContactOut"]["required"]) == {
        "id",
        "phone",
        "region",
        "language",
        "name",
        "consent",
    }
    assert schemas["ContactQuery"]["properties"]["per_page"]["maximum"] == 500
    assert schemas["ContactIn"]["additionalProperties"] is False
