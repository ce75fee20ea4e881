"""The beat tick from the watch-fed Application index (workers/tick.py, app_cache.py, tick_due.py):
kubesim over HTTP with Bosun's CRDs, a real redis-server, the Celery app publishing to it (no worker:
the tests look at the coalescing markers and claims the tick leaves). LISTs are counted by kubesim
(a zero-cost fault rule on `list applications`)."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import yaml
from celery import Celery
from kubernetes import client as kclient

from gitops.keys import Keys
from gitops.registry import ApplicationRegistry
from gitops.settings import Settings
from gitops.triggers.due import current_slot, slot_start
from workers.app_cache import ApplicationCache
from workers.celery_app import make_celery
from workers.context import WorkerContext
from workers.tick import TickRunner

from .kube import APPS, install_crds

pytestmark = pytest.mark.slow
FINALIZER = "resources-finalizer.argocd.argoproj.io"


class Fleet:
    """kubesim + CRDs, a worker context on it, and a tick runner whose watch resumes every second."""

    def __init__(self, kubesim: Any, settings: Settings) -> None:
        install_crds(kubesim.kubeconfig)
        self.kubesim = kubesim
        self.settings = settings.model_copy(update={"namespace": "bosun", "kubeconfig": str(kubesim.kubeconfig),
                                                    "refresh_jitter_seconds": 0})  # fmt: skip
        self.registry = ApplicationRegistry(kubesim.api_client(), "bosun")
        self.ctx = WorkerContext(self.settings)
        self.keys = Keys(self.settings.redis_prefix)
        self.celery: Celery = make_celery(self.settings)
        self.cache = ApplicationCache(kubesim.api_client(), "bosun", watch_seconds=1, retry_seconds=4)
        self.runner = TickRunner(self.ctx, cache=self.cache)
        rule = kubesim.admin.add_fault(verbs=["list"], resources=["applications"], latency=0.0001)
        self.list_rule = rule["id"]

    def app(self, name: str, operation: bool = False, finalizer: bool = False, **annotations: str) -> None:
        doc = copy.deepcopy(yaml.safe_load((APPS / "guestbook-argocd-application.yaml").read_text()))
        doc["metadata"] = {
            "name": name,
            "annotations": annotations,
            "finalizers": [FINALIZER] if finalizer else [],
        }
        if operation:
            doc["operation"] = {"sync": {"prune": False}, "initiatedBy": {"username": "test"}}
        self.registry.create(doc)

    def lists(self) -> int:
        """LISTs of Applications kubesim answered since the fleet was set up."""
        return int(self.kubesim.admin.faults()["injected"]["latency"])

    def tick(self, now: float) -> set[str]:
        return set(self.runner.run(self.celery, now))

    def pending(self, rclient: redis.Redis, name: str) -> str | None:
        value = rclient.get(self.keys.refresh_pending(name))
        return None if value is None else str(value)

    def refreshed(self, rclient: redis.Redis, *names: str) -> None:
        """What the refresh task does first: take the marker, so the next trigger queues again."""
        for name in names:
            rclient.delete(self.keys.refresh_pending(name))

    def close(self) -> None:
        self.runner.close()
        self.celery.close()


@pytest.fixture
def fleet(kubesim_factory: Callable[..., Any], settings: Settings) -> Iterator[Fleet]:
    built = Fleet(kubesim_factory(), settings)
    yield built
    built.close()


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def next_slot(name: str, now: float, interval: float = 120) -> float:
    slot = current_slot(name, now, interval, 0)
    assert slot is not None
    return slot_start(name, slot + 1, interval, 0)


def calm_now(*names: str, span: float = 10) -> float:
    """A clock value from which no app's 120 s slot ends within `span` seconds (ticks at now + 1, 2...)."""
    now = time.time()
    while any(next_slot(name, now) - now <= span for name in names):
        now += span
    return now


def test_tick_enqueues_due_apps_from_the_index_and_lists_only_once(
    fleet: Fleet, rclient: redis.Redis
) -> None:
    for name in ("alpha", "beta"):
        fleet.app(name)
    fleet.app("quiet", **{"bosun.dev/refresh-interval": "never"})
    now = calm_now("alpha", "beta")
    assert fleet.tick(now) == {"alpha", "beta"}  # the current slot of each app
    assert fleet.lists() == 1  # the index's first LIST
    slot = current_slot("alpha", now, 120, 0)
    assert rclient.exists(fleet.keys.due_slot("alpha", slot)) and fleet.pending(rclient, "alpha") is not None
    fleet.refreshed(rclient, "alpha", "beta")
    for step in range(10):  # the same slots: nothing more to do
        assert fleet.tick(now + step * 0.1) == set()
    for name in sorted(("alpha", "beta"), key=lambda n: next_slot(n, now)):  # each app's next slot, once
        later = next_slot(name, now) + 0.01
        assert fleet.tick(later) == {name}
        assert fleet.tick(later) == set()
    assert fleet.pending(rclient, "quiet") is None
    assert fleet.lists() == 1 and fleet.runner.fallback_lists == 0  # no LIST per tick
    assert fleet.cache.synced


def test_a_slot_claimed_by_another_process_is_not_enqueued_again(fleet: Fleet, rclient: redis.Redis) -> None:
    fleet.app("shared")
    now = calm_now("shared")
    slot = current_slot("shared", now, 120, 0)
    assert slot is not None
    rclient.set(fleet.keys.due_slot("shared", slot), "1")  # another beat's tick claimed it first
    assert fleet.tick(now) == set()
    assert fleet.pending(rclient, "shared") is None


def test_the_watch_brings_new_changed_and_deleted_apps(fleet: Fleet, rclient: redis.Redis) -> None:
    fleet.app("old")
    fleet.app("leaving")
    now = calm_now("old", "leaving", "new", "syncing", "doomed")
    assert fleet.tick(now) == {"old", "leaving"}
    fleet.refreshed(rclient, "old", "leaving")

    fleet.app("new")  # new app: its current slot is due at once
    fleet.registry.patch("old", {"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}})
    fleet.app("syncing", operation=True)  # an operation and no live step chain (no sync_alive key)
    fleet.app("doomed", finalizer=True)
    fleet.registry.delete("doomed")  # held by the resources finalizer: deletionTimestamp set
    fleet.registry.delete("leaving")
    wait_until(lambda: fleet.cache.view("leaving") is None, what="the deletion")
    wait_until(lambda: fleet.cache.view("new"), what="the new app")
    wait_until(lambda: (v := fleet.cache.view("doomed")) and v.finalizing, what="the pending finalizer")
    wait_until(lambda: (v := fleet.cache.view("old")) and v.refresh == "hard", what="the annotation")
    wait_until(lambda: (v := fleet.cache.view("syncing")) and v.operation, what="the operation")

    assert fleet.tick(now + 1) == {"new", "old", "syncing", "doomed"}  # old: hard, asked by annotation
    assert fleet.pending(rclient, "old") == "hard"
    assert rclient.exists(fleet.keys.sync_pending("syncing")) and rclient.exists(
        fleet.keys.sync_alive("syncing")
    )
    assert rclient.exists(fleet.keys.app_finalize_pending("doomed"))
    assert "leaving" not in fleet.runner.schedule.views
    kinds = [e.kind for e in fleet.ctx.events.recent("syncing")]
    assert "sync-redriven" in kinds, kinds

    # The refresh removes the annotation; the app is back on its periodic slots, already tried.
    fleet.refreshed(rclient, "old", "new", "syncing", "doomed")
    fleet.registry.patch("old", {"metadata": {"annotations": {"argocd.argoproj.io/refresh": None}}})
    wait_until(lambda: (v := fleet.cache.view("old")) and v.refresh is None, what="annotation removed")
    assert "old" not in fleet.tick(now + 2)
    assert fleet.lists() == 1 and fleet.runner.fallback_lists == 0


def test_the_index_lists_again_after_410_gone(kubesim_factory: Callable[..., Any], settings: Settings,
                                              rclient: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    # A 5-event window and no bookmarks: ConfigMap writes push the watch's version out of the window,
    # so the watch's next request (every second) is answered 410 Gone.
    fleet = Fleet(kubesim_factory(watch_window=5, bookmark_interval=3600.0), settings)
    try:
        caplog.set_level(logging.INFO, logger="bosun.app_cache")
        fleet.app("before")
        now = calm_now("before", "after")
        assert fleet.tick(now) == {"before"}
        core = kclient.CoreV1Api(fleet.kubesim.api_client())
        for n in range(20):
            body = kclient.V1ConfigMap(metadata=kclient.V1ObjectMeta(name=f"noise-{n}"), data={"k": "v"})
            core.create_namespaced_config_map("bosun", body)
        wait_until(lambda: fleet.cache.lists >= 2 and fleet.cache.synced, what="the index listed again")
        assert "410 Gone" in caplog.text
        assert fleet.lists() == fleet.cache.lists  # the re-lists, and no LIST by a tick
        fleet.app("after")  # followed by the watch started from the new list
        wait_until(lambda: fleet.cache.view("after"), what="the app created after the re-list")
        assert fleet.tick(now + 1) == {"after"}
        assert fleet.runner.fallback_lists == 0
    finally:
        fleet.close()


def test_a_broken_watch_falls_back_to_a_list_then_lists_again(fleet: Fleet, rclient: redis.Redis) -> None:
    fleet.app("steady")
    now = calm_now("steady", "meanwhile", "later")
    assert fleet.tick(now) == {"steady"}
    # The next watch request is cut mid-stream, and for 1 s every watch request fails (a broken watch
    # either way); the index lists again `retry_seconds` (4 s) later.
    fleet.kubesim.admin.add_fault(
        verbs=["watch"], resources=["applications"], drop_rate=1.0, drop_after=0.2, times=1
    )
    fleet.kubesim.admin.add_fault(verbs=["watch"], resources=["applications"], error_rate=1.0, status=503,
                                  duration=1.0)  # fmt: skip
    wait_until(lambda: not fleet.cache.synced, what="the broken watch noticed")
    fleet.app("meanwhile")
    assert fleet.tick(now + 1) == {"meanwhile"}  # this tick listed: the index was not synced
    assert fleet.runner.fallback_lists == 1
    wait_until(
        lambda: fleet.cache.synced and fleet.cache.lists >= 2, what="the index listed again", timeout=30
    )
    fleet.app("later")
    wait_until(lambda: fleet.cache.view("later"), what="the watch resumed")
    assert fleet.tick(now + 2) == {"later"}
    assert fleet.runner.fallback_lists == 1


def test_claims_lost_with_redis_are_made_again(fleet: Fleet, rclient: redis.Redis) -> None:
    for name in ("kept", "also"):
        fleet.app(name)
    now = calm_now("kept", "also")
    assert fleet.tick(now) == {"kept", "also"}
    assert fleet.tick(now + 1) == set()
    for key in rclient.scan_iter(f"{fleet.settings.redis_prefix}:*"):  # Redis restarted empty
        rclient.delete(key)
    assert fleet.tick(now + 2) == {"kept", "also"}  # their queued refreshes were lost: queued again
    assert fleet.tick(now + 3) == set()
    assert fleet.lists() == 1
