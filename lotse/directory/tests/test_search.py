import pytest

from lotse.directory.forms import FacilitySearchForm
from lotse.directory.models import Facility
from lotse.directory.selectors import Place, facility_search

pytestmark = pytest.mark.django_db


def search(**params):
    form = FacilitySearchForm(params)
    assert form.is_valid(), form.errors
    return list(facility_search(form.to_query()))


def test_empty_search_lists_all_by_name(make_facility):
    b = make_facility(name="Beta")
    a = make_facility(name="Alpha")
    assert search() == [a, b]


def test_age_filter_uses_birth_date(make_facility):
    krippe = make_facility(name="Krippe", age_from_months=0, age_to_months=35)
    hort = make_facility(name="Hort", age_from_months=72, age_to_months=168)
    assert search(age=1) == [krippe]
    assert search(age=8) == [hort]


def test_kind_and_free_places(make_facility):
    make_facility(name="Full", kind=Facility.Kind.KITA, free_places=0)
    free = make_facility(name="Free", kind=Facility.Kind.KITA, free_places=3)
    make_facility(name="Hort", kind=Facility.Kind.HORT, free_places=5)
    assert search(kind=["kita"], free="on") == [free]


def test_distance_orders_nearest_first_and_limits_radius(make_facility):
    near = make_facility(name="Near", postcode="24939", latitude=54.790, longitude=9.430)
    far = make_facility(name="Far", postcode="24944", latitude=54.800, longitude=9.470)
    make_facility(name="Kiel", postcode="24103", latitude=54.32, longitude=10.13)
    form = FacilitySearchForm({"near": "24939", "radius": "10"})
    assert form.is_valid(), form.errors
    assert form.place == Place(54.790, 9.430, "24939")
    assert list(facility_search(form.to_query())) == [near, far]


def test_unknown_place_is_a_clear_error(make_facility):
    make_facility()
    form = FacilitySearchForm({"near": "Atlantis"})
    assert not form.is_valid()
    assert "Atlantis" in form.errors["near"][0]


def test_search_page_and_map_render(client, make_facility):
    facility = make_facility(name="Kinderhaus Sonnenschein")
    response = client.get("/facilities/", {"q": "Sonnenschein"})
    assert response.status_code == 200
    assert "Kinderhaus Sonnenschein" in response.content.decode()
    points = client.get("/facilities/map/points.geojson", {"q": "Sonnenschein"}).json()
    assert [f["properties"]["id"] for f in points["features"]] == [facility.pk]


def test_bad_filter_answers_in_german(client, make_facility):
    response = client.get("/facilities/", {"age": "99"}, headers={"accept-language": "de"})
    assert response.status_code == 400  # a clear 4xx (issue 13), with the message on the page
    assert 'role="alert"' in response.content.decode()


def test_json_ld_cannot_be_broken_out_of(client, make_facility):
    facility = make_facility(name='Kita </script><script>alert("x")</script>')
    body = client.get(f"/facilities/{facility.pk}/").content.decode()
    block = body.split('type="application/ld+json"', 1)[1].split("</script>", 1)[0]
    assert "<script>" not in block and "\\u003C/script\\u003E" in block
    assert '<script>alert("x")' not in body  # escaped everywhere: heading, title, JSON-LD


def test_detail_page_links_to_the_application_with_the_facility_chosen(client, make_facility):
    open_for_applications = make_facility(name="Kita Anker", online_application=True)
    not_online = make_facility(name="Kita Leuchtturm", online_application=False)
    body = client.get(f"/facilities/{open_for_applications.pk}/").content.decode()
    assert f"/applications/new/?facility={open_for_applications.pk}" in body
    assert "/applications/new/" not in client.get(f"/facilities/{not_online.pk}/").content.decode()


def test_nearest_first_pages_are_exact_with_ties(make_facility):
    """Pages of a distance search, read nearest-first (KNN index on PostgreSQL), are exactly
    the slices of the full (distance, id) ordering: facilities at the same address (ties)
    are neither repeated nor skipped across pages."""
    from lotse.directory.selectors import SearchPaginator

    centre = make_facility(name="Centre", postcode="24939", latitude=54.79, longitude=9.43)
    same_place = [
        make_facility(name=f"Same {n}", postcode="24000", latitude=54.80, longitude=9.44)
        for n in range(7)
    ]
    ring = [
        make_facility(
            name=f"Ring {n}", postcode="24000", latitude=54.79 + 0.002 * n, longitude=9.45
        )
        for n in range(9)
    ]
    make_facility(name="Far away", postcode="24000", latitude=55.5, longitude=10.5)
    form = FacilitySearchForm({"near": "24939", "radius": "10"})
    assert form.is_valid(), form.errors
    results = facility_search(form.to_query())
    full = list(results)
    assert full[0] == centre and len(full) == 1 + len(same_place) + len(ring)
    paginator = SearchPaginator(results, 4)
    pages = [list(paginator.page(n).object_list) for n in paginator.page_range]
    assert [f for page in pages for f in page] == full
    tied = [f for f in full if f.name.startswith("Same")]
    assert tied == sorted(tied, key=lambda f: f.pk)  # ties in id order on every database


def test_partial_save_keeps_the_search_columns_in_step(make_facility):
    facility = make_facility(name="Alt", latitude=54.79, longitude=9.43)
    facility.name, facility.latitude, facility.longitude = "Neu", 54.5, 9.9
    facility.save(update_fields=["name", "latitude", "longitude"])
    stored = Facility.objects.get(pk=facility.pk)
    assert "neu" in stored.search_text
    assert stored.geo_z == pytest.approx(0.8141, abs=1e-3)  # sin(54.5°)
