import math

from django.db import migrations, models


def fill_unit_vectors(apps, schema_editor):
    Facility = apps.get_model("directory", "Facility")
    if schema_editor.connection.vendor == "postgresql":
        # One set-based UPDATE instead of a save() per row.
        schema_editor.execute(
            "UPDATE directory_facility SET "
            "geo_x = cos(radians(latitude)) * cos(radians(longitude)), "
            "geo_y = cos(radians(latitude)) * sin(radians(longitude)), "
            "geo_z = sin(radians(latitude)) "
            "WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
        )
        return
    rows = Facility.objects.filter(latitude__isnull=False, longitude__isnull=False)
    for facility in rows.only("id", "latitude", "longitude").iterator():
        lat, lon = math.radians(facility.latitude), math.radians(facility.longitude)
        Facility.objects.filter(pk=facility.pk).update(
            geo_x=math.cos(lat) * math.cos(lon),
            geo_y=math.cos(lat) * math.sin(lon),
            geo_z=math.sin(lat),
        )


def knn_index(apps, schema_editor):
    # "Nearest first" on PostgreSQL walks a GiST index of the points (cube extension, a
    # trusted contrib module); SQLite computes the same distance for the grid cells' rows.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS cube")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS facility_geo_knn ON directory_facility "
        "USING gist (cube(cube(cube(geo_x), geo_y), geo_z))"
    )


def drop_knn_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS facility_geo_knn")


def street_index(apps, schema_editor):
    # Geocoding by street (``street__istartswith``) scanned every facility: 17 ms at 66,000.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS facility_street_prefix ON directory_facility "
        "(UPPER(street::text) text_pattern_ops)"
    )


def drop_street_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS facility_street_prefix")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_search_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="facility",
            name="geo_x",
            field=models.FloatField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="facility",
            name="geo_y",
            field=models.FloatField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="facility",
            name="geo_z",
            field=models.FloatField(editable=False, null=True),
        ),
        migrations.RunPython(fill_unit_vectors, migrations.RunPython.noop),
        migrations.RunPython(knn_index, drop_knn_index),
        migrations.RunPython(street_index, drop_street_index),
    ]
