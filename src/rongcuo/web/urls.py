from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rongcuo.cases import dashboard, token_views
from rongcuo.cases import views as work_views
from rongcuo.policies import views
from rongcuo.registry import views as registry_views
from rongcuo.review import notice_views
from rongcuo.review import views as review_views
from rongcuo.web import health
from rongcuo.web.api import api
from rongcuo.web.forms import LoginForm

# Evidence is downloaded only through `case_evidence_download`, which checks that the user may read the
# case; MEDIA_ROOT is never served as static files, not even in development.
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("start/", views.start, name="start"),
    path("self-check/", views.self_check, name="self_check"),
    path("packs/", views.packs, name="packs"),
    path("packs/compare/", views.packs_compare, name="packs_compare"),
    path("packs/<str:ref>/", views.pack_detail, name="pack_detail"),
    path("work/", work_views.work, name="work"),
    path("cases/<int:pk>/", work_views.case_page, name="case"),
    path("cases/<int:pk>/transition/", work_views.case_transition, name="case_transition"),
    path("cases/<int:pk>/facts/", work_views.case_facts, name="case_facts"),
    path("cases/<int:pk>/evidence/", work_views.case_evidence, name="case_evidence"),
    path("cases/<int:pk>/evidence/<int:evidence_pk>/", work_views.evidence_download, name="case_evidence_download"),
    # The review procedure on the case page (panel, objections, obligations, letters): each a service call.
    path("cases/<int:pk>/panel/", review_views.panel_draw, name="case_panel_draw"),
    path("cases/<int:pk>/panel/conclude/", review_views.panel_conclude, name="case_panel_conclude"),
    path("cases/<int:pk>/panel/override/", review_views.panel_override, name="case_panel_override"),
    path("cases/<int:pk>/panel/members/<int:member_pk>/withdraw/", review_views.panel_withdraw,
         name="case_panel_withdraw"),
    path("cases/<int:pk>/objections/<int:objection_pk>/answer/", review_views.objection_answer,
         name="case_objection_answer"),
    path("cases/<int:pk>/obligations/<int:obligation_pk>/fulfil/", review_views.obligation_fulfil,
         name="case_obligation_fulfil"),
    path("cases/<int:pk>/letters/<int:letter_pk>/<str:fmt>/", review_views.letter_download, name="case_letter"),
    path("my/", work_views.my, name="my"),
    path("my/apply/", work_views.my_apply, name="my_apply"),
    path("my/drafts/save/", work_views.my_draft_save, name="my_draft_save"),
    path("my/drafts/<int:draft_pk>/delete/", work_views.my_draft_delete, name="my_draft_delete"),
    # The user's API tokens (the key shown once, when issued); revoking one (an administrator: anyone's).
    path("my/tokens/", token_views.my_tokens, name="my_tokens"),
    path("my/tokens/<int:token_pk>/revoke/", token_views.my_token_revoke, name="my_token_revoke"),
    # Public notices (no login) with the objection form.
    path("notices/", notice_views.notices, name="notices"),
    path("notices/<int:case_id>/", notice_views.notice_detail, name="notice_detail"),
    # Experts: their own panel seats, the scoring form, declining.
    path("expert/", review_views.expert_home, name="expert_home"),
    path("expert/cases/<int:pk>/review/", review_views.expert_review, name="expert_review"),
    path("expert/cases/<int:pk>/decline/", review_views.expert_decline, name="expert_decline"),
    # The collective decision.
    path("committee/cases/<int:pk>/", review_views.committee_case, name="committee_case"),
    # Statistics for staff, and their Excel export.
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/export.xlsx", dashboard.dashboard_export, name="dashboard_export"),
    # Registry import from Excel (a bureau's caseworker or an administrator).
    path("registry/import/", registry_views.registry_import, name="registry_import"),
    path("registry/import/template.xlsx", registry_views.registry_template, name="registry_template"),
    # Other apps' pages are included here, e.g.:
    path("monitoring/", include("rongcuo.monitoring.urls")),
    path("funds/", include("rongcuo.funds.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html",
                                                         authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
