from django.contrib import admin

from .models import Document, Event, MemberOrganisation, Registration, Session


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "organiser", "kind", "status", "capacity", "seats_taken"]
    list_filter = ["status", "kind", "topic"]
    search_fields = ["title"]
    inlines = [SessionInline]
    # Seats only change through the services (under the event lock).
    readonly_fields = ["seats_taken"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "event", "status", "queue_number", "fee_due"]
    list_filter = ["status"]
    search_fields = ["full_name", "email", "event__title"]
    # Status changes must go through the services so that seats and the waiting list stay right.
    readonly_fields = ["status", "queue_number", "offer_expires_at", "fee_due"]


admin.site.register(Document)
admin.site.register(MemberOrganisation)
