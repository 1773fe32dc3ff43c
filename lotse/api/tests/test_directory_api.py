import pytest

pytestmark = pytest.mark.django_db


def test_facility_search_and_detail(client, make_facility):
    krippe = make_facility(
        name="Krippe Wattwurm",
        kind="krippe",
        age_from_months=0,
        age_to_months=35,
        opening_hours={"mon": ["07:00", "15:00"]},
    )
    make_facility(name="Hort Leuchtturm", kind="hort", age_from_months=72, age_to_months=168)
    data = client.get("/api/v1/directory/facilities", {"age": 1}).json()
    assert data["count"] == 1 and data["results"][0]["name"] == "Krippe Wattwurm"
    detail = client.get(f"/api/v1/directory/facilities/{krippe.pk}").json()
    assert detail["opening_hours"] == {"mon": ["07:00", "15:00"]}
    assert client.get("/api/v1/directory/facilities/999999").status_code == 404


def test_invalid_filters_answer_422_with_the_reason(client, make_facility):
    make_facility()
    response = client.get(
        "/api/v1/directory/facilities", {"near": "Atlantis"}, headers={"accept-language": "de"}
    )
    assert response.status_code == 422
    assert "Atlantis" in response.json()["detail"]
    assert client.get("/api/v1/directory/facilities", {"age": "abc"}).status_code == 422


def test_openapi_schema_is_served(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "Lotse API"
    assert "/api/v1/directory/facilities" in schema["paths"]
