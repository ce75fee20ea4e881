"""Fewer Redis round trips, same guarantees, on a real redis-server: batched Stats (one pipeline,
per-bucket histogram read back cumulative, also over fields older workers wrote), refresh events
recorded only on a visible change, the event log as a capped list (and a legacy stream read and
converted), coalescing without Lua (hard upgrades never lost), delivery counters that always expire,
redeliveries counted from the broker's flag, and task events off unless asked for."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
import redis

from gitops.coordination import Claims, EventLog, RefreshRequests, Stats
from gitops.coordination.events import MAX_MESSAGE_CHARS
from gitops.keys import Keys
from gitops.settings import Settings
from workers.celery_app import celery_config
from workers.context import WorkerContext
from workers.git_stats import GitStatsPusher


def commands(client: redis.Redis) -> int:
    return int(client.info("stats")["total_commands_processed"])


def test_observation_is_one_round_trip_and_reads_cumulative(rclient: redis.Redis, keys: Keys) -> None:
    stats = Stats(rclient, keys)
    before = commands(rclient)
    stats.observe("reconcile_seconds", 0.03)
    assert commands(rclient) - before - 1 == 2  # its bucket and the sum (minus the INFO itself)
    stats.observe("reconcile_seconds", 0.3)
    stats.observe("reconcile_seconds", 500.0)
    buckets, total = stats.histogram("reconcile_seconds")
    as_dict = dict(buckets)
    assert as_dict["0.05"] == 1 and as_dict["0.25"] == 1 and as_dict["0.5"] == 2 and as_dict["120.0"] == 2
    assert as_dict["+Inf"] == 3 and total == pytest.approx(500.33)
    assert "reconcile_seconds:count" not in stats.read()  # the count is the +Inf bucket


def test_histogram_adds_cumulative_fields_of_older_workers(rclient: redis.Redis, keys: Keys) -> None:
    for bound in ("0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0", "60.0", "120.0", "+Inf"):
        rclient.hincrby(keys.stats(), f"reconcile_seconds:le:{bound}", 1)  # one old observation of 0.01 s
    stats = Stats(rclient, keys)
    stats.observe("reconcile_seconds", 0.2)
    buckets = dict(stats.histogram("reconcile_seconds")[0])
    assert buckets["0.05"] == 1 and buckets["0.25"] == 2 and buckets["+Inf"] == 2


def test_staged_deltas_go_with_the_next_write_and_survive_redis_errors(
    rclient: redis.Redis, keys: Keys
) -> None:
    stats = Stats(rclient, keys)
    stats.stage("git:renders_total:tool=Directory", 1)
    stats.stage("git:git_request_seconds_total:type=fetch", 0.25)
    assert rclient.hgetall(keys.stats()) == {}  # staging sends nothing
    stats.incr("lock_busy:refresh")
    assert stats.read() == {"git:renders_total:tool=Directory": 1.0, "lock_busy:refresh": 1.0,
                            "git:git_request_seconds_total:type=fetch": 0.25}  # fmt: skip
    broken = Stats(redis.Redis(port=1, socket_connect_timeout=0.2), keys)
    broken.stage("sync_phase:Succeeded", 1)
    with pytest.raises(redis.RedisError):
        broken.flush()
    assert broken.staged() == {"sync_phase:Succeeded": 1}  # kept for the next write
    broken.client = rclient
    broken.flush()
    assert stats.read()["sync_phase:Succeeded"] == 1 and broken.staged() == {}


def test_git_stats_push_stages_only_the_growth(rclient: redis.Redis, keys: Keys) -> None:
    class Metrics:
        values = {"renders_total": 1.0}

        def samples(self) -> list[tuple[str, dict[str, str], float]]:
            return [(name, {"tool": "Helm"}, value) for name, value in self.values.items()]

    stats = Stats(rclient, keys)
    pusher = GitStatsPusher(Metrics(), stats)  # type: ignore[arg-type]
    pusher.push()
    Metrics.values["renders_total"] = 3.0
    pusher.push()
    pusher.push()
    assert stats.staged() == {"git:renders_total:tool=Helm": 3.0}
    stats.flush()
    assert stats.read() == {"git:renders_total:tool=Helm": 3.0}


def test_refresh_event_only_when_the_visible_status_changes(rclient: redis.Redis, keys: Keys) -> None:
    events = EventLog(rclient, keys)
    synced = {"sync": {"status": "Synced", "revision": "a" * 40}, "health": {"status": "Healthy"},
              "reconciledAt": "2026-11-26T10:00:00Z"}  # fmt: skip
    assert events.record_refresh("app", None, synced, "Synced / Healthy") is not None  # first refresh
    later = {**synced, "reconciledAt": "2026-11-26T10:03:00Z"}
    assert events.record_refresh("app", synced, later, "Synced / Healthy") is None
    assert events.record_refresh("app", synced, later, "hard refresh", hard=True) is not None
    drifted = {**later, "sync": {"status": "OutOfSync", "revision": "a" * 40}}
    assert events.record_refresh("app", later, drifted, "OutOfSync / Healthy") is not None
    failing = {**drifted, "conditions": [{"type": "ComparisonError", "message": "cluster down"}]}
    assert events.record_refresh("app", drifted, failing, "compare failed") is not None
    moved = {**synced, "sync": {"status": "Synced", "revision": "b" * 40}}
    assert events.record_refresh("app", synced, moved, "Synced / Healthy at bbbb") is not None
    kinds = [(e.kind, e.message) for e in events.recent("app")]
    assert kinds == [("refreshed", "Synced / Healthy at bbbb"), ("refreshed", "compare failed"),
                     ("refreshed", "OutOfSync / Healthy"), ("refreshed", "hard refresh"),
                     ("refreshed", "Synced / Healthy")]  # fmt: skip


def test_event_log_is_bounded_in_entries_and_bytes(rclient: redis.Redis, keys: Keys) -> None:
    events = EventLog(rclient, keys, max_len=100)
    before = commands(rclient)
    for n in range(300):
        events.record("app", "sync-step", f"{n:03d} " + "x" * 5000, by="worker w1@host")
    assert commands(rclient) - before - 1 <= 300 + 300 // 11  # one LPUSH each, an LTRIM every 11th
    assert 100 <= rclient.llen(keys.app_events("app")) <= 110  # trimmed back once a tenth over
    recent = events.recent("app", count=3)
    assert [e.message[:3] for e in recent] == ["299", "298", "297"]
    assert all(len(e.message) == MAX_MESSAGE_CHARS for e in recent)
    assert recent[0].at > 0 and recent[0].by == "worker w1@host" and recent[0].id != recent[1].id
    assert int(rclient.memory_usage(keys.app_events("app")) or 0) < 110 * (MAX_MESSAGE_CHARS + 100)


def test_legacy_event_stream_is_read_then_converted(rclient: redis.Redis, keys: Keys) -> None:
    key = keys.app_events("app")
    for n in range(3):
        rclient.xadd(key, {"at": f"{1000 + n}.5", "kind": "refreshed", "message": f"old {n}", "by": "beat"})
    events = EventLog(rclient, keys)
    assert [e.message for e in events.recent("app")] == ["old 2", "old 1", "old 0"]
    events.record("app", "auto-sync", "automated sync started")
    assert rclient.type(key) == "list"
    recent = events.recent("app")
    assert [e.message for e in recent] == ["automated sync started", "old 2", "old 1", "old 0"]
    assert recent[1].at == 1002.5 and recent[1].by == "beat"


def test_coalescing_without_lua(rclient: redis.Redis, keys: Keys) -> None:
    requests = RefreshRequests(rclient, keys, ttl_seconds=60)
    before = commands(rclient)
    assert requests.request("app") is True
    assert requests.request("app") is False
    assert commands(rclient) - before - 1 == 2  # one command per normal request
    assert requests.request("app", hard=True) is False  # upgraded in place, TTL kept
    assert (
        rclient.get(keys.refresh_pending("app")) == "hard"
        and 0 < rclient.ttl(keys.refresh_pending("app")) <= 60
    )
    assert requests.take("app") == "hard"
    assert requests.request("app", hard=True) is True


def test_a_hard_request_racing_take_is_never_lost(rclient: redis.Redis, keys: Keys) -> None:
    requests = RefreshRequests(rclient, keys, ttl_seconds=60)
    for _ in range(200):
        requests.request("race")
        taken: list[str | None] = []
        hard: list[bool] = []
        worker = threading.Thread(target=lambda out=taken: out.append(requests.take("race")))
        worker.start()
        hard.append(requests.request("race", hard=True))
        worker.join()
        # Either the task took the upgraded marker, or this hard request queued a new refresh.
        assert taken == ["hard"] or hard == [True]
        requests.cancel("race")


def test_delivery_counter_always_has_a_ttl(rclient: redis.Redis, keys: Keys) -> None:
    claims = Claims(rclient)
    key = keys.task_deliveries("t-1")
    before = commands(rclient)
    assert claims.count(key, 60) == 1
    assert commands(rclient) - before - 1 == 2
    assert claims.count(key, 60) == 2 and 0 < rclient.ttl(key) <= 60


def _request(task_id: str, redelivered: bool | None) -> Any:
    info = {} if redelivered is None else {"redelivered": redelivered}
    return SimpleNamespace(id=task_id, delivery_info=info, hostname="w1@host")


def test_first_deliveries_cost_no_command_and_redeliveries_still_drop(
    settings: Settings, rclient: redis.Redis
) -> None:
    from workers.tasks import dropped

    ctx = WorkerContext(settings.model_copy(update={"task_max_deliveries": 3}))
    before = commands(rclient)
    assert dropped(ctx, _request("t-9", None), "bosun.refresh", "web") is False
    assert dropped(ctx, _request("t-9", False), "bosun.refresh", "web") is False
    assert commands(rclient) - before - 1 == 0
    assert rclient.exists(ctx.keys.task_deliveries("t-9")) == 0
    verdicts = [dropped(ctx, _request("t-9", True), "bosun.refresh", "web") for _ in range(3)]
    assert verdicts == [False, False, True]  # deliveries 2 and 3 run, the 4th (> 3) is dropped
    assert EventLog(rclient, ctx.keys).recent("web")[0].kind == "task-dropped"
    assert rclient.ttl(ctx.keys.task_deliveries("t-9")) > 0


def test_task_events_are_off_unless_asked_for(settings: Settings) -> None:
    config = celery_config(settings)
    assert config["worker_send_task_events"] is False and config["task_send_sent_event"] is False
    assert config["task_ignore_result"] is True and config["result_backend"] is None
    if "task_events" in Settings.model_fields:
        config = celery_config(settings.model_copy(update={"task_events": True}))
        assert config["worker_send_task_events"] is True and config["task_send_sent_event"] is True


def test_a_repeated_condition_is_one_line(rclient: redis.Redis, keys: Keys) -> None:
    events = EventLog(rclient, keys)
    assert events.record_unless_latest("app", "auto-sync-blocked", "window closed") is not None
    assert events.record_unless_latest("app", "auto-sync-blocked", "window closed") is None
    assert events.record_unless_latest("app", "auto-sync-blocked", "project denies") is not None
    events.record("app", "sync-step", "synced")
    assert events.record_unless_latest("app", "auto-sync-blocked", "project denies") is not None
    assert [e.message for e in events.recent("app")] == ["project denies", "synced", "project denies",
                                                         "window closed"]  # fmt: skip


def test_the_broker_flags_a_restored_message_as_redelivered(settings: Settings) -> None:
    """What `workers.tasks.dropped` relies on: kombu's redis transport marks a message it restores
    after the visibility timeout (the path of a task whose worker died) as redelivered."""
    from kombu import Connection

    options = {"visibility_timeout": 1, "global_keyprefix": f"{settings.redis_prefix}:celery:"}
    with Connection(settings.redis_url.get_secret_value(), transport_options=options) as conn:
        queue = conn.SimpleQueue(f"{settings.redis_prefix}-redelivery")
        queue.put({"task": "bosun.refresh"})
        first = queue.get(timeout=5)
        assert not first.delivery_info.get("redelivered")  # held, never acknowledged: the worker "died"
        time.sleep(1.2)
        queue.channel.qos.restore_visible(num=10, interval=1)
        again = queue.get(timeout=5)
        assert again.payload == {"task": "bosun.refresh"} and again.delivery_info.get("redelivered") is True
        again.ack()
        queue.close()


def test_hot_status_of_many_apps_in_batches(rclient: redis.Redis, keys: Keys) -> None:
    from gitops.coordination import AppLocks, HotStatus

    hot, locks = HotStatus(rclient, keys), AppLocks(rclient, keys)
    for n in range(5):
        lease = locks.acquire(f"app-{n}")
        assert lease is not None
        hot.write(lease, {"sync": {"status": "Synced"}, "n": n})
    before = commands(rclient)
    found = hot.read_many([f"app-{n}" for n in range(6)], batch=2)
    assert commands(rclient) - before - 1 == 6  # one HGET per app, in 3 round trips
    assert sorted(found) == [f"app-{n}" for n in range(5)] and found["app-3"]["n"] == 3
