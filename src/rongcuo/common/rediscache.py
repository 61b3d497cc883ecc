"""Django's Redis cache backend, with one Redis client per connection pool instead of one per operation.

Django 5.2's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache operation, and redis-py's
constructor rebuilds its table of response callbacks each time (a case-insensitive dictionary of some two hundred
commands): measured here about 0.2 ms of CPU per operation, and a signed-in page makes four to six of them
(session, generations, grants). redis-py documents a client as safe to share between threads (connections come
from its pool, which also notices a fork), so the client is built once per pool and reused.

Its replies are parsed by hiredis (a dependency), which redis-py uses whenever it is installed instead of its own
parser in Python: measured here, a signed-in page with only the site's frame took 3-6 % less CPU with it.

Used by the settings when RONGCUO_CACHE_URL is set: ``BACKEND = "rongcuo.common.rediscache.RedisCache"``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClient(RedisCacheClient):
    def __init__(self, servers: Any, **options: Any) -> None:
        super().__init__(servers, **options)
        self._reused: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._reused.get(id(pool))  # pools live as long as this object (self._pools), so ids are stable
        if client is None:
            client = self._reused[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClient
