"""URLs of the incidents app."""

from django.urls import include, path

from incidents.access.views import grants
from incidents.closure.views import closure, evidence, queue
from incidents.controls import views as controls
from incidents.intake import views as report
from incidents.sla import views as escalations
from incidents.views import home, inbox, incident, managed
from incidents.work.views import account, delegation, work

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("incidents.triage.urls")),
    path("report/", report.report_start, name="report_start"),
    path("report/new/", report.report_new, name="report_new"),
    path("report/<uuid:token>/categories/", report.category_search, name="report_category_search"),
    path("report/<uuid:token>/pole-row/", report.pole_row, name="report_pole_row"),
    path("report/<uuid:token>/<slug:step>/", report.report_step, name="report_step"),
    path("report/<uuid:token>/<slug:step>/typed/", report.report_typed, name="report_typed"),
    path("incidents/mine/", incident.my_items, name="my_items"),
    path("incidents/managed/", managed.managed_incident_list, name="managed_incidents"),
    path("incidents/managed/export.csv", managed.managed_incident_csv, name="managed_incidents_csv"),
    path("incidents/merge/", controls.merge, name="controls_merge"),
    path("incidents/<str:reference>/", incident.incident_detail, name="incident_detail"),
    path("incidents/<str:reference>/split/", controls.split, name="incident_split"),
    path("incidents/<str:reference>/unmerge/", controls.unmerge, name="incident_unmerge"),
    path("incidents/<str:reference>/gaps/", controls.known_gap, name="incident_known_gap"),
    path(
        "incidents/<str:reference>/gaps/<int:gap_id>/resolve/",
        controls.known_gap_resolve,
        name="incident_known_gap_resolve",
    ),
    path("incidents/<str:reference>/acknowledge/", incident.incident_acknowledge, name="incident_acknowledge"),
    path("incidents/<str:reference>/live/", incident.incident_live, name="incident_live"),
    path("incidents/<str:reference>/severity/", incident.incident_severity, name="incident_severity"),
    path("incidents/<str:reference>/contained/", incident.incident_contained, name="incident_contained"),
    path("incidents/<str:reference>/work/", work.work_page, name="incident_work"),
    path("incidents/<str:reference>/complete/", work.incident_complete, name="incident_complete"),
    path("incidents/<str:reference>/review/", work.incident_review, name="incident_review"),
    path("incidents/<str:reference>/work/review/", work.work_review, name="incident_work_review"),
    path("incidents/<str:reference>/steps/<int:step_id>/evidence/", work.step_evidence, name="step_evidence"),
    path("incidents/<str:reference>/steps/<int:step_id>/complete/", work.step_complete, name="step_complete"),
    path(
        "incidents/<str:reference>/steps/<int:step_id>/not-applicable/",
        work.step_not_applicable,
        name="step_not_applicable",
    ),
    path(
        "incidents/<str:reference>/steps/<int:step_id>/not-applicable/undo/",
        work.step_undo_not_applicable,
        name="step_undo_not_applicable",
    ),
    path("incidents/<str:reference>/steps/<int:step_id>/pause/", work.step_pause, name="step_pause"),
    path("incidents/<str:reference>/steps/<int:step_id>/delegate/", work.step_delegate, name="step_delegate"),
    path("incidents/<str:reference>/steps/<int:step_id>/take-back/", work.step_take_back, name="step_take_back"),
    path(
        "incidents/<str:reference>/evidence/<int:evidence_id>/invalidate/",
        evidence.evidence_invalidate,
        name="evidence_invalidate",
    ),
    path(
        "incidents/<str:reference>/evidence/<int:evidence_id>/<str:variant>/",
        work.evidence_file,
        name="evidence_file",
    ),
    path("requests/<int:request_id>/", work.information_request, name="information_request"),
    path("incidents/<str:reference>/account/", account.incident_account, name="incident_account"),
    path("incidents/<str:reference>/delegate/", delegation.incident_delegate, name="incident_delegate"),
    path("delegations/<int:delegation_id>/decide/", delegation.delegation_decide, name="delegation_decide"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/badge/", inbox.inbox_badge, name="inbox_badge"),
    path("inbox/read/", inbox.inbox_read, name="inbox_read"),
    path("inbox/<int:notification_id>/open/", inbox.inbox_open, name="inbox_open"),
    path("escalations/", escalations.escalation_list, name="escalation_list"),
    path(
        "escalations/<int:escalation_id>/acknowledge/",
        escalations.escalation_acknowledge,
        name="escalation_acknowledge",
    ),
    path("warnings/<int:warning_id>/mitigation/", escalations.mitigation_note, name="mitigation_note"),
    path("queue/closure/", queue.closure_queue, name="closure_queue"),
    path("queue/closure/<str:reference>/", queue.closure_decision, name="closure_decision"),
    path("queue/closure/<str:reference>/approve/", queue.closure_approve, name="closure_approve"),
    path("queue/closure/<str:reference>/override/", queue.closure_override, name="closure_override"),
    path("queue/closure/<str:reference>/reject/", queue.closure_reject, name="closure_reject"),
    path("queue/closure/<str:reference>/more-evidence/", queue.closure_more_evidence, name="closure_more_evidence"),
    path("queue/closure/<str:reference>/mismatch/", queue.closure_mismatch, name="closure_mismatch"),
    path("incidents/<str:reference>/reopen/", closure.incident_reopen, name="incident_reopen"),
    path("incidents/<str:reference>/reroute/", closure.incident_reroute, name="incident_reroute"),
    path("grants/request/", grants.grant_request, name="grant_request"),
    path("manage/grants/", grants.manage_grants, name="manage_grants"),
    path("manage/grants/<int:grant_id>/issue/", grants.grant_issue, name="grant_issue"),
    path("manage/grants/<int:grant_id>/decline/", grants.grant_decline, name="grant_decline"),
    path("manage/grants/<int:grant_id>/revoke/", grants.grant_revoke, name="grant_revoke"),
]
