"""The work queue, the case page and its steps, applications, API tokens and the statistics."""

from django.urls import path

from rongcuo.cases import dashboard, token_views
from rongcuo.cases.views import apply, case, work

# Evidence is downloaded only through `case_evidence_download`, which checks that the user may read the
# case; MEDIA_ROOT is never served as static files, not even in development.
urlpatterns = [
    path("work/", work.work, name="work"),
    path("work/assign/", work.work_assign, name="work_assign"),
    path("cases/<int:pk>/assign/", work.case_assign, name="case_assign"),
    path("cases/<int:pk>/", case.case_page, name="case"),
    path("cases/<int:pk>/transition/", case.case_transition, name="case_transition"),
    path("cases/<int:pk>/facts/", case.case_facts, name="case_facts"),
    path("cases/<int:pk>/evidence/", case.case_evidence, name="case_evidence"),
    path("cases/<int:pk>/evidence/<int:evidence_pk>/", case.evidence_download, name="case_evidence_download"),
    path("cases/<int:pk>/receipt/<str:fmt>/", case.receipt_download, name="case_receipt"),
    path("my/", apply.my, name="my"),
    path("my/apply/", apply.my_apply, name="my_apply"),
    path("my/drafts/save/", apply.my_draft_save, name="my_draft_save"),
    path("my/drafts/<int:draft_pk>/delete/", apply.my_draft_delete, name="my_draft_delete"),
    # The user's API tokens (the key shown once, when issued); revoking one (an administrator: anyone's).
    path("my/tokens/", token_views.my_tokens, name="my_tokens"),
    path("my/tokens/<int:token_pk>/revoke/", token_views.my_token_revoke, name="my_token_revoke"),
    # Statistics for staff, and their Excel export.
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/export.xlsx", dashboard.dashboard_export, name="dashboard_export"),
]
