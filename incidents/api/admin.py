"""The api slice's rows in the Django admin, read-only: idempotency records and rate windows of the
JSON API are written by the slice's services only."""

from django.contrib import admin

from incidents.api.models import IdempotencyRecord, RateWindow
from iwms.admin import ReadOnlyAdmin

for model in (IdempotencyRecord, RateWindow):
    admin.site.register(model, ReadOnlyAdmin)
