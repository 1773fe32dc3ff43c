from django.contrib import admin

from .models import Concept, District, Facility, Language, Service


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "district", "places_total", "free_places"]
    list_filter = ["kind", "inclusion", "barrier_free", "source"]
    search_fields = ["name", "operator_name", "street", "postcode", "city"]
    autocomplete_fields = ["district", "operator", "organisation"]
    filter_horizontal = ["languages", "concepts"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "code"]
    search_fields = ["name", "municipality"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "is_public"]
    list_filter = ["kind", "is_public"]
    search_fields = ["name"]


admin.site.register(Language)
admin.site.register(Concept)
