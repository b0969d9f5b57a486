"""Events go out in the background, in order; a full queue drops (and counts) rather than
blocking a sync; a failing post does not stop the sender."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from extsecrets.cluster.events import EventSender


def test_events_are_posted_in_order_and_a_full_queue_drops_new_ones() -> None:
    entered, release = threading.Event(), threading.Event()
    posted: list[str] = []

    def post(namespace: str, body: Mapping[str, Any]) -> None:
        entered.set()
        release.wait(10)
        posted.append(f"{namespace}/{body['n']}")

    sender = EventSender(post, threads=1, capacity=2)
    sender.send("ns", {"n": 1})
    assert entered.wait(10)  # the sender holds event 1: the queue is empty again
    sender.send("ns", {"n": 2})
    sender.send("ns", {"n": 3})
    sender.send("ns", {"n": 4})  # the queue holds 2 and 3: this one is dropped
    assert sender.dropped == 1
    release.set()
    assert sender.flush(timeout=10)
    assert posted == ["ns/1", "ns/2", "ns/3"]


def test_a_failing_post_does_not_stop_the_sender() -> None:
    posted: list[int] = []

    def post(namespace: str, body: Mapping[str, Any]) -> None:
        if body["n"] == 1:
            raise RuntimeError("the API server said no")
        posted.append(body["n"])

    sender = EventSender(post, threads=1)
    for n in (1, 2, 3):
        sender.send("ns", {"n": n})
    assert sender.flush(timeout=10)
    assert posted == [2, 3]
