from django.contrib import admin

from .models import (
    CallApplication,
    Grant,
    Meeting,
    NeedsAnalysis,
    Network,
    NetworkMember,
    ProgrammeCall,
    ReportDue,
    Task,
    WorkingGroup,
)


class NetworkMemberInline(admin.TabularInline):
    model = NetworkMember
    extra = 0
    raw_id_fields = ["user", "organisation"]


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "visibility", "programme"]
    inlines = [NetworkMemberInline]
    raw_id_fields = ["organisation"]


class ReportDueInline(admin.TabularInline):
    model = ReportDue
    extra = 0
    exclude = ["file"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["recipient", "funder_name", "amount", "starts_on", "ends_on"]
    inlines = [ReportDueInline]
    raw_id_fields = ["recipient", "funder", "application"]


@admin.register(ProgrammeCall)
class ProgrammeCallAdmin(admin.ModelAdmin):
    list_display = ["title", "funder", "status", "deadline"]
    list_filter = ["status"]


admin.site.register([WorkingGroup, Meeting, Task, CallApplication, NeedsAnalysis])
