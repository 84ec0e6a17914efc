"""The controls slice's rows in the Django admin, read-only: merge and split lineage, known gaps
are written by the slice's services only."""

from django.contrib import admin

from incidents.controls.models import KnownGap, Lineage, LineageItem
from iwms.admin import ReadOnlyAdmin

for model in (Lineage, LineageItem, KnownGap):
    admin.site.register(model, ReadOnlyAdmin)
