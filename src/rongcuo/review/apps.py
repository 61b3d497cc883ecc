from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ReviewConfig(AppConfig):
    name = "rongcuo.review"
    verbose_name = "评审与决定 Review and decision"

    def ready(self) -> None:
        from rongcuo.cases import hooks
        from rongcuo.registry import permissions as registry_perm
        from rongcuo.registry.permissions import grants_changed
        from rongcuo.review import services
        from rongcuo.review.models import Decision, Expert, Letter, Obligation, Panel
        from rongcuo.review.views import case_review_context

        # Whether a user is in the expert pool is cached with their grants (the navigation asks on every page).
        registry_perm.USER_STATE_PARTS["in_pool"] = lambda user_id: Expert.objects.filter(user_id=user_id).exists()
        post_save.connect(grants_changed, sender=Expert, dispatch_uid="grants-changed-save-Expert")
        post_delete.connect(grants_changed, sender=Expert, dispatch_uid="grants-changed-delete-Expert")
        # The procedure's steps the review builds on, and what it shows on the case page.
        hooks.register(hooks.ON_DECISION_REOPENED, services.decision_supersede)
        hooks.register(hooks.ON_CASE_DECIDED, hooks.Decided(prepare=services.case_archive_prepare,
                                                            record=services.case_archive))
        hooks.register(hooks.CASE_PAGE_SECTIONS, case_review_context)
        hooks.CASE_RECORDS.update(panel=lambda: (Panel, "case", "id"), letters=lambda: (Letter, "case", "id"),
                                  obligations=lambda: (Obligation, "case", "id"),
                                  decisions=lambda: (Decision, "for_case", "id"),
                                  integrity=services.integrity_exists_column)
