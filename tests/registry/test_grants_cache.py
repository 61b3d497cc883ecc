"""Permission checks keep each user's role grants in the cache; a changed grant or organisation applies to
the very next request (the cache key's generation is replaced on every change)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from rongcuo.registry.models import Organisation, Role, RoleGrant


def _grant_queries(ctx: CaptureQueriesContext) -> int:
    return sum('"registry_rolegrant"' in q["sql"] and "FROM" in q["sql"] for q in ctx.captured_queries)


def test_grants_are_read_once_then_served_from_the_cache(sz_case, as_user) -> None:
    cw = as_user("sz_caseworker")
    with CaptureQueriesContext(connection) as first:
        assert cw.get(f"/cases/{sz_case['id']}")[0] == 200
    with CaptureQueriesContext(connection) as second:
        assert cw.get(f"/cases/{sz_case['id']}")[0] == 200
    assert _grant_queries(first) == 1 and _grant_queries(second) == 0


def test_a_removed_role_applies_to_the_next_request(sz_case, world, as_user) -> None:
    cw = as_user("sz_caseworker")
    url = f"/cases/{sz_case['id']}"
    assert cw.get(url)[0] == 200  # grants now cached
    grant = RoleGrant.objects.get(user=world.users["sz_caseworker"], role=Role.caseworker)
    bureau = grant.organisation
    grant.delete()
    code, err = cw.get(url)
    assert code == 404 and err["code"] == "not_found"
    RoleGrant.objects.create(user=world.users["sz_caseworker"], role=Role.caseworker, organisation=bureau)
    assert cw.get(url)[0] == 200


def test_a_moved_organisation_applies_to_the_next_request(world, as_user) -> None:
    # An NSF-office caseworker handles cases routed to the office's parent bureau: the parent comes with the
    # cached grant's organisation, so changing it must make the cached grants stale too.
    nsf_user = world.users["zj_nsf"]
    grant = RoleGrant.objects.select_related("organisation").get(user=nsf_user, role=Role.caseworker)
    office = grant.organisation
    from rongcuo.cases import permissions as perm

    def fresh_user():  # a request loads the user anew; the grants come from the cache
        return type(nsf_user).objects.get(pk=nsf_user.pk)

    assert perm.nsf_bureaus(fresh_user()) == {office.parent_id}
    other = Organisation.objects.exclude(pk__in=[office.pk, office.parent_id]).filter(kind=office.parent.kind).first()
    assert other is not None
    office.parent = other
    office.save()
    assert perm.nsf_bureaus(fresh_user()) == {other.pk}


def _nav_link(client, href: str, table: str) -> tuple[bool, int]:  # type: ignore[no-untyped-def]
    """Whether the work page's navigation links `href`, and how many queries it made of `table`."""
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/work/")
    assert page.status_code == 200
    return f'href="{href}"' in page.content.decode(), sum(f'"{table}"' in q["sql"] for q in ctx.captured_queries)


def test_joining_the_expert_pool_shows_the_expert_page_on_the_next_page(world, client) -> None:
    # Every page asks whether the user is in the expert pool (the navigation's link to /expert/); the answer is
    # cached with the grants, and saving or deleting an expert record replaces their generation.
    from rongcuo.review.models import Expert, Expertise

    user = world.users["sz_caseworker"]
    client.force_login(user)

    def expert_link() -> tuple[bool, int]:
        return _nav_link(client, "/expert/", "review_expert")

    assert expert_link() == (False, 1)
    assert expert_link() == (False, 0)  # from the cache
    expert = Expert.objects.create(user=user, name="测试专家", expertise=Expertise.technical)
    assert expert_link() == (True, 1)
    expert.delete()
    assert expert_link() == (False, 1)


def test_the_users_person_is_read_once_and_a_new_link_shows_on_the_next_page(world, client) -> None:
    # Every page asks for the user's person (the navigation's "my applications", the applicant's permissions);
    # it is cached under the accounts generation, which saving a person or a user replaces.
    from rongcuo.registry.models import Person

    user = world.users["sz_caseworker"]
    client.force_login(user)

    def my_link() -> tuple[bool, int]:
        return _nav_link(client, "/my/", "registry_person")

    assert my_link() == (False, 1)
    assert my_link() == (False, 0)  # from the cache
    person = Person.objects.create(name="经办人本人", user=user)
    assert my_link() == (True, 1)
    assert my_link() == (True, 0)
    person.user = None
    person.save(update_fields=["user"])
    assert my_link() == (False, 1)


def test_the_visibility_key_changes_with_whatever_decides_the_visible_cases(world) -> None:
    # Values cached per user and derived from their cases (the work queue's counts) carry this key.
    from rongcuo.cases import permissions as perm
    from rongcuo.registry.models import Person

    user = world.users["sz_caseworker"]

    def key() -> str:  # a request loads the user anew; grants and person come from the cache
        return perm.visibility_key(type(user).objects.get(pk=user.pk))

    first = key()
    assert key() == first and perm.visibility_key(world.users["zj_caseworker"]) != first
    grant = RoleGrant.objects.get(user=user, role=Role.caseworker)
    bureau = grant.organisation
    grant.delete()
    assert key() != first
    RoleGrant.objects.create(user=user, role=Role.caseworker, organisation=bureau)
    assert key() == first
    person = Person.objects.create(name="经办人本人", user=user)
    assert key() != first
    person.delete()
    assert key() == first
    assert perm.visibility_key(world.users["admin"]) == "all"


def test_an_expert_assignment_applies_to_the_next_request_and_costs_no_query_after(world, sz_case, client) -> None:
    # The cases a user is assigned to as an expert are cached with their grants (`user_state`): a case page asks
    # no query of the assignments once they are cached, and assigning or withdrawing replaces the generation.
    from rongcuo.cases.models import Case, ExpertAssignment

    user = world.users["sz_caseworker"]
    other = type(user).objects.create_user("outside_expert", password="x")  # no grant: sees a case only if assigned
    client.force_login(other)
    url = f"/cases/{sz_case['id']}/"

    def page() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            code = client.get(url).status_code
        return code, sum('"cases_expertassignment"' in q["sql"] for q in ctx.captured_queries)

    assert page() == (404, 1)
    assert page() == (404, 0)  # from the cache
    assignment = ExpertAssignment.objects.create(case=Case.objects.get(pk=sz_case["id"]), expert=other)
    assert page() == (200, 1)
    assert page() == (200, 0)
    client.force_login(user)
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert not any('"cases_expertassignment"' in q["sql"] for q in ctx.captured_queries)  # a caseworker: none
    client.force_login(other)
    assignment.delete()
    assert page() == (404, 1)


def test_a_user_entry_an_older_release_cached_is_not_read(world, client) -> None:
    # The per-user entry gained the expert assignments; an entry in the older shape (written before an upgrade, or
    # by an older worker during a rolling deploy) sits under the older key and is never read as the new one.
    from django.core.cache import cache

    from rongcuo.common import generations

    user = world.users["sz_caseworker"]
    client.force_login(user)  # (saves the user: a new accounts generation; the entry below is written after it)
    names = (generations.GRANTS, generations.ACCOUNTS)
    gens = tuple(generations.current(n) for n in names)
    cache.set(f"rongcuo:{'+'.join(names)}:value:user:{user.pk}",
              (gens, {"grants": [], "person": False, "in_pool": False}), 60)
    assert client.get("/work/").status_code == 200


def test_a_cached_value_is_read_with_its_generations_in_one_round_trip(sz_case, world, client, monkeypatch) -> None:
    from django.core.cache import caches

    backend = caches["default"]
    trips: list[list[str]] = []
    inside: list[bool] = []  # the per-process cache's get_many calls its get: one round trip with Redis
    get, get_many = backend.get, backend.get_many

    def counted_get(key, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not inside:
            trips.append([key])
        return get(key, *args, **kwargs)

    def counted_get_many(keys, *args, **kwargs):  # type: ignore[no-untyped-def]
        trips.append(list(keys))
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(backend, "get", counted_get)
    monkeypatch.setattr(backend, "get_many", counted_get_many)
    client.force_login(world.users["sz_caseworker"])
    url = f"/cases/{sz_case['id']}/"
    assert client.get(url).status_code == 200  # fills the cache
    trips.clear()
    assert client.get(url).status_code == 200
    with_generations = [t for t in trips if any(k.endswith(":generation") for k in t)]
    # The user's state (under the grants and accounts generations): the value and its generations together.
    assert with_generations and all(sum(":value:" in k for k in t) == 1 for t in with_generations)


def test_a_change_is_read_afresh_at_once_whoever_made_it(db) -> None:
    from django.core.cache import cache

    from rongcuo.common import generations

    assert generations.cached(generations.GRANTS, "t", 60, lambda: 1) == 1
    assert generations.cached(generations.GRANTS, "t", 60, lambda: 2) == 1  # kept
    generations.bump(generations.GRANTS)  # this worker changed the data
    assert generations.cached(generations.GRANTS, "t", 60, lambda: 3) == 3
    cache.set(generations._key(generations.GRANTS), "changed-by-another-worker", None)
    assert generations.cached(generations.GRANTS, "t", 60, lambda: 4) == 4
    cache.set(generations._key(generations.CALENDAR), "a", None)  # every read asks the cache
    assert generations.current(generations.CALENDAR) == "a"
    cache.set(generations._key(generations.CALENDAR), "b", None)
    assert generations.current(generations.CALENDAR) == "b"
