"""Schemathesis against the app's own OpenAPI, over real HTTP, on a populated database with an ops token:
no response may be a server error (5xx) or break the schema it documents."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from fleet_api.app import create_app

from .test_api_support import LiveApi, bearer, emptied, populate

# The operations, from the app's own spec (building the app needs no database).
OPERATIONS = [(path, method) for path, ops in create_app("postgresql://unused").openapi()["paths"].items()
              for method in ops]


@pytest.fixture(scope="module")
def live_api(stack):
    conn = emptied(stack.database_url)
    fleet = populate(conn)
    with LiveApi(stack.database_url) as api:
        api.ops = fleet["ops"]
        yield api
    conn.close()


@pytest.fixture(scope="module")
def api_schema(live_api):
    return schemathesis.openapi.from_url(live_api.url + "/openapi.json")


# schemathesis' own pytest plugin does not work with this pytest; hypothesis drives each operation instead.
@pytest.mark.parametrize("path,method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_no_server_error_and_responses_fit_the_schema(api_schema, live_api, path, method):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(headers=bearer(live_api.ops), checks=[not_a_server_error, response_schema_conformance])

    check()
