from django.contrib import admin

from incidents.assurance import services
from incidents.assurance.models import KpiFact, KpiRollup, MaturityWeights, RollupWatermark
from iwms.admin import ReadOnlyAdmin, ServiceAdmin


@admin.register(MaturityWeights)
class MaturityWeightsAdmin(ServiceAdmin):
    """A tenant's maturity weights: saved and deleted through the assurance services."""

    save_service = staticmethod(services.save_maturity_weights)
    delete_service = staticmethod(services.delete_maturity_weights)
    list_display = ["organisation", "breaches", "reopens", "escalated_to_top", "review_overrides", "mismatches"]


# The KPI facts and rollups are derived from the ledger by the rollup task: read-only.
for model in (KpiFact, KpiRollup, RollupWatermark):
    admin.site.register(model, ReadOnlyAdmin)
