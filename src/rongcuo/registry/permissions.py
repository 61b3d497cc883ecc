"""Who holds which role, for whom: the role grants of the registry, read once per request and cached across
requests with what every request asks about its user. The case-level rules are in `rongcuo.cases.permissions`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from rongcuo.common import generations
from rongcuo.registry.models import OrgKind, Person, Project, Role, RoleGrant

# What the apps built on the registry add to a user's cached state (`user_state`): name -> f(user id), registered in
# their AppConfig.ready(); the value is also remembered on the user object as `_rongcuo_<name>`.
USER_STATE_PARTS: dict[str, Callable[[int], Any]] = {}

# Which other projects a user may read in the registry: f(user) -> a Q over projects, registered by the apps that
# know (cases: the projects of the cases the user may see).
PROJECT_SCOPES: list[Callable[[Any], Q]] = []

WORK_ROLES = {Role.caseworker, Role.caseworker_lead, Role.committee, Role.host_unit_reviewer, Role.expert,
              Role.auditor, Role.admin}


GRANTS_TTL = 60  # seconds a user's role grants are kept in the cache (a change clears them at once, see below)


def grants(user: Any) -> list[RoleGrant]:
    """The user's role grants with their organisations: on the user object for the request, and in the cache
    across requests (every permission check starts here, so this saves a query on every request).

    Cached with the rest of what every request asks about its user (`user_state`), under generations
    (rongcuo.common.generations) that any change to a grant, an organisation, an expert record, a user or a person
    replaces, so a changed role applies to the next request. With RONGCUO_CACHE_URL that holds for every worker;
    with the per-process default cache, other workers see the change within GRANTS_TTL seconds (`check --deploy`
    warns about that cache, rongcuo.W001)."""
    cached: list[RoleGrant] | None = getattr(user, "_rongcuo_grants", None)
    if cached is None:
        cached = user_state(user)["grants"] if user.pk else []
    return cached


def user_state(user: Any) -> dict[str, Any]:
    """What every request asks about its user, in one cache entry (one round trip): their role grants, their
    person in the registry (False for none), and what the apps above add (`USER_STATE_PARTS`: review, whether they
    are in the expert pool, `in_pool`; cases, the cases they are assigned to as an expert, `assigned`); remembered
    on the user object for the request as well (`_rongcuo_grants`, `_rongcuo_person`, `_rongcuo_<part>`). A change
    to any of it replaces the generation (the apps' signals)."""

    def compute() -> dict[str, Any]:
        from rongcuo.registry.models import Person

        state = {"grants": list(RoleGrant.objects.filter(user_id=user.pk).select_related("organisation")),
                 "person": Person.objects.filter(user_id=user.pk).first() or False}
        for name, part in USER_STATE_PARTS.items():
            state[name] = part(user.pk)
        return state

    # The key names the entry's shape ("v2": with "assigned"), so an entry an older release wrote, or an older worker
    # still writes during a rolling deploy, is never read as this one.
    state: dict[str, Any] = generations.cached((generations.GRANTS, generations.ACCOUNTS), f"user:v2:{user.pk}",
                                               GRANTS_TTL, compute)
    user._rongcuo_grants = state["grants"]
    for name in ("person", *USER_STATE_PARTS):
        if getattr(user, f"_rongcuo_{name}", None) is None:
            setattr(user, f"_rongcuo_{name}", state.get(name))
    return state


def grants_changed(**kwargs: Any) -> None:
    """Signal receiver (registry app): a grant or organisation changed; cached grants are stale from now on."""
    generations.bump(generations.GRANTS)


def accounts_changed(**kwargs: Any) -> None:
    """Signal receiver (cases app): a user, person or API token changed; cached token lookups and user states
    (`user_state`) are stale from now on."""
    generations.bump(generations.ACCOUNTS)


def person_of(user: Any) -> Any:
    """The user's person in the registry (None for an account without one, or no user): on the user object for
    the request, and in the cache across requests with the user's grants (`user_state`), which a saved or deleted
    user or person replaces (cases app signals). Every page asks (the navigation, the applicant's permissions)."""
    if not getattr(user, "is_authenticated", False):
        return None
    found = getattr(user, "_rongcuo_person", None)  # (not user.__dict__: request.user is a lazy proxy)
    if found is None:
        found = user_state(user)["person"]
    return found or None


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or any(g.role == Role.admin for g in grants(user))))


def is_auditor(user: Any) -> bool:
    return bool(user.is_authenticated and any(g.role == Role.auditor for g in grants(user)))


def org_ids(user: Any, role: str, kind: str | None = None) -> set[int]:
    return {g.organisation_id for g in grants(user)
            if g.role == role and g.organisation_id and (kind is None or g.organisation.kind == kind)}




def works_on_cases(user: Any) -> bool:
    """Bureau, unit, panel, committee, audit or admin staff: the work queue is their page."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_admin(user) or any(g.role in WORK_ROLES for g in grants(user))


STAFF_ROLES = {Role.caseworker, Role.host_unit_reviewer, Role.committee}


def is_staff(user: Any) -> bool:
    """Bureau, unit or committee staff, an auditor or an administrator: who may list the registry (each within
    their own jurisdiction, `visible_projects` / `visible_people`)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_admin(user) or is_auditor(user) or any(g.role in STAFF_ROLES for g in grants(user))


def _jurisdiction(user: Any) -> tuple[set[int], set[int]]:
    """(the bureaus the user works for as caseworker or committee member, the host units they review for)."""
    return (org_ids(user, Role.caseworker, OrgKind.bureau) | org_ids(user, Role.committee),
            org_ids(user, Role.host_unit_reviewer))


def visible_projects(user: Any) -> QuerySet[Project]:
    """The projects a user may read in the registry: every one for an administrator or auditor; otherwise their
    bureau's (caseworker, committee), their unit's (host-unit reviewer), the ones they lead or work on, and those
    the apps above allow (`PROJECT_SCOPES`: the projects of the cases they may see)."""
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    if is_admin(user) or is_auditor(user):
        return Project.objects.all()
    bureaus, units = _jurisdiction(user)
    q = Q(bureau_id__in=bureaus) | Q(host_unit_id__in=units)
    person = person_of(user)
    if person is not None:
        q |= Q(lead_id=person.pk) | Q(co_investigators__id=person.pk)
    for scope in PROJECT_SCOPES:
        q |= scope(user)
    return Project.objects.filter(pk__in=Project.objects.filter(q).values("pk"))


def visible_people(user: Any) -> QuerySet[Person]:
    """The people a user may read in the registry: every one for an administrator or auditor; otherwise the leads and
    co-investigators of their visible projects and the people of the units in their jurisdiction (a bureau's: the
    host units it supervises)."""
    if not getattr(user, "is_authenticated", False):
        return Person.objects.none()
    if is_admin(user) or is_auditor(user):
        return Person.objects.all()
    bureaus, units = _jurisdiction(user)
    projects = visible_projects(user)
    q = (Q(led_projects__in=projects) | Q(co_projects__in=projects) | Q(unit_id__in=units | bureaus)
         | Q(unit__parent_id__in=bureaus))
    return Person.objects.filter(pk__in=Person.objects.filter(q).values("pk"))
