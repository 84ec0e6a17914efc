"""The governance slice's rows in the Django admin, read-only: structure changes, verifications, HR
events and structural findings are written by the slice's services only."""

from django.contrib import admin

from incidents.governance.models import CheckRun, HrEvent, StructuralFinding, StructureChange, Verification
from iwms.admin import ReadOnlyAdmin

for model in (StructureChange, Verification, HrEvent, StructuralFinding, CheckRun):
    admin.site.register(model, ReadOnlyAdmin)
