from django.apps import AppConfig
from django.db.models import Q
from django.db.models.signals import post_delete, post_save


class CasesConfig(AppConfig):
    name = "rongcuo.cases"
    verbose_name = "认定案件 Cases"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from rongcuo.cases.models import ApiToken, ExpertAssignment
        from rongcuo.cases.permissions import EXPERT_IDS_INLINE, visible_cases
        from rongcuo.registry import permissions as registry_perm
        from rongcuo.registry.models import Organisation, Person, RoleGrant
        from rongcuo.registry.permissions import accounts_changed, grants_changed

        # Cached with each user's grants: the cases they are assigned to as an expert (`permissions._assigned`).
        registry_perm.USER_STATE_PARTS["assigned"] = lambda user_id: list(
            ExpertAssignment.objects.filter(expert_id=user_id).order_by("case_id")
            .values_list("case_id", flat=True)[:EXPERT_IDS_INLINE + 1])
        # The projects of the cases a user may see may be read in the registry.
        registry_perm.PROJECT_SCOPES.append(lambda user: Q(pk__in=visible_cases(user).values("project_id")))
        # Permission checks cache each user's grants (with their organisations); any change makes them stale.
        # An expert assignment is a grant of the expert role on one case (`permissions._assigned`).
        for model in (RoleGrant, Organisation, ExpertAssignment):
            post_save.connect(grants_changed, sender=model, dispatch_uid=f"grants-changed-save-{model.__name__}")
            post_delete.connect(grants_changed, sender=model, dispatch_uid=f"grants-changed-delete-{model.__name__}")
        # Bearer tokens are looked up in the cache (rongcuo.web.api); a changed user, person or token is stale.
        for model in (get_user_model(), Person, ApiToken):
            post_save.connect(accounts_changed, sender=model, dispatch_uid=f"accounts-changed-save-{model.__name__}")
            post_delete.connect(accounts_changed, sender=model,
                                dispatch_uid=f"accounts-changed-delete-{model.__name__}")
