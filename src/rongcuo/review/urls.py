"""The review procedure: panel, objections, obligations and letters on the case page; experts; the committee;
the public notices."""

from django.urls import path

from rongcuo.review import committee_views, notice_views
from rongcuo.review import views as review_views

urlpatterns = [
    # The review procedure on the case page (panel, objections, obligations, letters): each a service call.
    path("cases/<int:pk>/panel/", review_views.panel_draw, name="case_panel_draw"),
    path("cases/<int:pk>/panel/conclude/", review_views.panel_conclude, name="case_panel_conclude"),
    path("cases/<int:pk>/panel/override/", review_views.panel_override, name="case_panel_override"),
    path("cases/<int:pk>/panel/members/<int:member_pk>/withdraw/", review_views.panel_withdraw,
         name="case_panel_withdraw"),
    path("cases/<int:pk>/objections/<int:objection_pk>/answer/", review_views.objection_answer,
         name="case_objection_answer"),
    path("cases/<int:pk>/objections/<int:objection_pk>/attachments/<int:attachment_pk>/",
         review_views.objection_attachment, name="case_objection_attachment"),
    path("cases/<int:pk>/obligations/<int:obligation_pk>/fulfil/", review_views.obligation_fulfil,
         name="case_obligation_fulfil"),
    path("cases/<int:pk>/letters/<int:letter_pk>/<str:fmt>/", review_views.letter_download, name="case_letter"),
    # Public notices (no login) with the objection form.
    path("notices/", notice_views.notices, name="notices"),
    path("notices/<int:case_id>/", notice_views.notice_detail, name="notice_detail"),
    path("notices/objections/", notice_views.objection_status, name="objection_status"),
    path("notices/<int:case_id>/pdf/", notice_views.notice_pdf, name="notice_pdf"),
    # Experts: their own panel seats, the scoring form, declining.
    path("expert/", review_views.expert_home, name="expert_home"),
    path("expert/cases/<int:pk>/review/", review_views.expert_review, name="expert_review"),
    path("expert/cases/<int:pk>/decline/", review_views.expert_decline, name="expert_decline"),
    # The collective decision.
    path("committee/cases/<int:pk>/", committee_views.committee_case, name="committee_case"),
    path("committee/cases/<int:pk>/vote/", committee_views.committee_vote, name="committee_vote"),
]
