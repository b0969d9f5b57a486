"""Deletion and creation policies, ownership, immutability, write skipping and the Ready
condition (spec §6.3 to §6.7), seen in what the local cluster stored."""

from __future__ import annotations

import hashlib
import json

from engine_kit import external_secret, ref, secret, store

MANAGED = "reconcile.external-secrets.io/managed"
CREATED_BY = "reconcile.external-secrets.io/created-by"


def ready(w, name: str = "e") -> tuple[str, str, str]:
    cond = w.status(name).condition("Ready")
    assert cond is not None
    return cond.status, cond.reason, cond.message


# --- not found and deletionPolicy ------------------------------------------------------------


def test_retain_turns_a_missing_secret_into_an_error_and_keeps_the_target(world) -> None:
    w = world(store(data={"k": "v"}), external_secret(data=[ref("a", "k")]))
    assert w.sync()["app/e"].ok
    w.apply(store(data={}))
    result = w.sync()["app/e"]
    assert result.error == "error processing spec.data[0] (key: k), err: Secret does not exist"
    assert w.data("e") == {"a": "v"}
    assert ready(w) == ("False", "SecretSyncedError", "could not get secret data from provider")
    assert w.events("UpdateFailed") == [result.error]


def test_delete_skips_missing_entries_with_an_event_naming_the_entry(world) -> None:
    w = world(
        store(data={"k": "v"}),
        external_secret(
            data=[ref("gone", "nope"), ref("a", "k")],
            data_from=[{"extract": {"key": "missing"}}],
            target={"deletionPolicy": "Delete"},
        ),
    )
    assert w.sync()["app/e"].ok
    assert w.data("e") == {"a": "v"}
    assert w.events("MissingProviderSecret") == [
        "secret does not exist at provider using spec.dataFrom[0]",
        "secret does not exist at provider using spec.data[0] (key=nope)",
    ]


def test_delete_removes_the_secret_when_everything_is_gone(world) -> None:
    w = world(
        store(data={"k": "v"}),
        external_secret(data=[ref("a", "k")], target={"deletionPolicy": "Delete"}),
    )
    w.sync()
    assert w.secret("e") is not None
    w.apply(store(data={}))
    result = w.sync()["app/e"]
    assert result.ok
    assert result.secret is None
    assert w.secret("e") is None
    assert ready(w) == ("True", "SecretDeleted", "secret deleted due to DeletionPolicy=Delete")
    assert w.events("Deleted") == ["secret deleted due to DeletionPolicy=Delete"]


def test_delete_needs_owner(world) -> None:
    w = world(
        store(data={}),
        external_secret(
            data=[ref("a", "k")], target={"deletionPolicy": "Delete", "creationPolicy": "Orphan"}
        ),
    )
    result = w.sync()["app/e"]
    assert result.error == "unable to delete secret e: creationPolicy=Orphan is not Owner"
    assert not result.retry
    assert ready(w) == ("False", "SecretSyncedError", "could not delete secret")


def test_retain_with_nothing_found_keeps_the_secret(world) -> None:
    w = world(
        store(data={"a1": "x"}),
        external_secret(data_from=[{"find": {"name": {"regexp": "^a"}}}]),
    )
    w.sync()
    w.apply(store(data={}))
    assert w.sync()["app/e"].ok
    assert w.data("e") == {"a1": "x"}
    assert ready(w) == ("True", "SecretSynced", "secret retained due to DeletionPolicy=Retain")


def test_merge_deletion_writes_what_is_left(world) -> None:
    w = world(
        store(data={"k": "v", "k2": "w"}),
        external_secret(data=[ref("a", "k"), ref("b", "k2")], target={"deletionPolicy": "Merge"}),
    )
    w.sync()
    w.apply(store(data={"k2": "w"}))
    assert w.sync()["app/e"].ok
    assert w.data("e") == {"b": "w"}


# --- creationPolicy ----------------------------------------------------------------------------


def test_owner_sets_the_controller_reference_and_created_by_label(world) -> None:
    w = world(store(data={"k": "v"}), external_secret(data=[ref("a", "k")]))
    w.sync()
    stored = w.secret("e")
    assert stored is not None
    owner = stored.controller
    assert owner is not None
    assert (owner.kind, owner.name) == ("ExternalSecret", "e")
    assert owner.block_owner_deletion
    # sha3-224 hex of "<namespace>/<name>"
    assert stored.labels[CREATED_BY] == hashlib.sha3_224(b"app/e").hexdigest()
    assert stored.labels[MANAGED] == "true"
    assert w.events() == ["secret created"]


def test_owner_deletes_the_secret_left_under_an_old_target_name(world) -> None:
    w = world(store(data={"k": "v"}), external_secret(data=[ref("a", "k")], target={"name": "old"}))
    w.sync()
    w.apply(external_secret(data=[ref("a", "k")], target={"name": "new"}))
    assert w.sync()["app/e"].ok
    assert w.secret("old") is None
    assert w.data("new") == {"a": "v"}
    assert "secret deleted because it was orphaned" in w.events("Deleted")


def test_orphan_drops_an_earlier_owner_reference(world) -> None:
    w = world(store(data={"k": "v"}), external_secret(data=[ref("a", "k")]))
    w.sync()
    w.apply(external_secret(data=[ref("a", "k")], target={"creationPolicy": "Orphan"}))
    w.sync()
    stored = w.secret("e")
    assert stored is not None
    assert stored.owner_references == ()
    assert CREATED_BY not in stored.labels


def test_merge_needs_an_existing_secret(world) -> None:
    w = world(
        store(data={"k": "v"}),
        external_secret(data=[ref("a", "k")], target={"creationPolicy": "Merge"}),
    )
    result = w.sync()["app/e"]
    assert result.ok
    assert result.secret is None
    assert w.secret("e") is None
    assert ready(w) == (
        "True",
        "SecretMissing",
        "secret will not be created due to CreationPolicy=Merge",
    )


def test_merge_keeps_foreign_keys_and_drops_keys_it_no_longer_writes(world) -> None:
    w = world(
        store(data={"k": "v", "k2": "w"}),
        secret("e", data={"theirs": "keep", "a": "overwritten"}),
        external_secret(
            data=[ref("a", "k"), ref("b", "k2")],
            target={"creationPolicy": "Merge", "deletionPolicy": "Merge"},
        ),
    )
    w.sync()
    assert w.data("e") == {"theirs": "keep", "a": "v", "b": "w"}
    stored = w.secret("e")
    assert stored is not None
    assert stored.owner_references == ()
    w.apply(
        external_secret(
            data=[ref("b", "k2")], target={"creationPolicy": "Merge", "deletionPolicy": "Merge"}
        )
    )
    w.sync()
    assert w.data("e") == {"theirs": "keep", "b": "w"}


def test_create_or_merge_creates_then_merges(world) -> None:
    w = world(
        store(data={"k": "v"}),
        external_secret(data=[ref("a", "k")], target={"creationPolicy": "CreateOrMerge"}),
        external_secret("m", data=[ref("a", "k")], target={"creationPolicy": "CreateOrMerge"}),
        secret("m", data={"theirs": "keep"}),
    )
    w.sync()
    assert w.data("e") == {"a": "v"}
    assert w.data("m") == {"theirs": "keep", "a": "v"}


def test_creation_policy_none_writes_nothing(world) -> None:
    w = world(
        store(data={"k": "v"}),
        external_secret(data=[ref("a", "k")], target={"creationPolicy": "None"}),
    )
    result = w.sync()["app/e"]
    assert result.ok
    assert result.secret is None
    assert w.secret("e") is None
    assert ready(w) == ("True", "SecretSynced", "secret synced")


def test_a_secret_owned_by_another_external_secret_is_left_alone(world) -> None:
    w = world(
        store(data={"k": "v"}),
        external_secret("first", data=[ref("a", "k")], target={"name": "shared"}),
    )
    w.sync()
    w.apply(external_secret("second", data=[ref("b", "k")], target={"name": "shared"}))
    results = w.sync()
    assert results["app/second"].error == (
        "unable to mutate secret shared: secret is owned by another ExternalSecret: first"
    )
    assert not results["app/second"].retry
    assert ready(w, "second") == (
        "False",
        "SecretSyncedError",
        "target is owned by another ExternalSecret",
    )
    assert w.data("shared") == {"a": "v"}


def test_an_immutable_target_is_not_changed(world) -> None:
    w = world(
        store(data={"k": "v"}),
        external_secret(data=[ref("a", "k")], target={"immutable": True}),
    )
    w.sync()
    stored = w.secret("e")
    assert stored is not None
    assert stored.immutable
    w.apply(store(data={"k": "changed"}))
    result = w.sync()["app/e"]
    assert result.error == "unable to mutate secret e: secret is immutable"
    assert ready(w) == (
        "False",
        "SecretSyncedError",
        "could not update secret, target is immutable",
    )
    assert w.data("e") == {"a": "v"}


# --- writes and status -------------------------------------------------------------------------


def test_nothing_is_written_when_nothing_changed(world) -> None:
    w = world(store(data={"k": "v"}), external_secret(data=[ref("a", "k")]))
    first = w.sync()["app/e"]
    version = w.secret("e").resource_version  # type: ignore[union-attr]
    w.clock.advance(hours=1)
    second = w.sync()["app/e"]
    assert first.written
    assert not second.written
    assert w.secret("e").resource_version == version  # type: ignore[union-attr]
    assert w.events() == ["secret created"]
    w.apply(store(data={"k": "new"}))
    assert w.sync()["app/e"].written
    assert w.events() == ["secret created", "secret updated"]


def test_labels_and_annotations_of_the_external_secret_are_copied(world) -> None:
    es = external_secret(data=[ref("a", "k")], labels={"team": "a"})
    es["metadata"]["annotations"] = {
        "note": "x",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
    }
    w = world(store(data={"k": "v"}), es)
    w.sync()
    stored = w.secret("e")
    assert stored is not None
    assert stored.labels["team"] == "a"
    assert stored.annotations["note"] == "x"
    assert "kubectl.kubernetes.io/last-applied-configuration" not in stored.annotations


def test_a_provider_error_leaves_the_secret_and_the_status_says_why(world) -> None:
    w = world(
        store(data={"k": json.dumps({"p": "v"})}),
        external_secret(data=[ref("a", "k", property="p")]),
    )
    assert w.sync()["app/e"].ok
    synced = w.status()
    before = w.secret("e")
    w.clock.advance(minutes=5)
    w.apply(store(data={"k": json.dumps({"p": "v2"})}, fail="permanent"))
    result = w.sync()["app/e"]
    assert result.error == (
        "error processing spec.data[0] (key: k), err: fake backend refused the request"
    )
    assert w.secret("e") == before
    assert w.secret("e").resource_version == before.resource_version  # type: ignore[union-attr]
    failed = w.status()
    assert ready(w) == ("False", "SecretSyncedError", "could not get secret data from provider")
    # refreshTime and syncedResourceVersion only move on success
    assert failed.refresh_time == synced.refresh_time
    assert failed.synced_resource_version == synced.synced_resource_version
    assert w.events("UpdateFailed") == [result.error]


def test_last_transition_time_moves_only_when_ready_flips(world) -> None:
    w = world(store(data={"k": "v"}), external_secret(data=[ref("a", "k")]))
    w.sync()
    first = w.status().condition("Ready")
    w.clock.advance(minutes=1)
    w.sync()
    again = w.status().condition("Ready")
    assert first is not None
    assert again is not None
    assert again.last_transition_time == first.last_transition_time
    assert w.status().refresh_time == w.clock.now
    w.clock.advance(minutes=1)
    w.apply(store(data={"k": "v"}, fail="permanent"))
    w.sync()
    flipped = w.status().condition("Ready")
    assert flipped is not None
    assert flipped.last_transition_time == w.clock.now


def test_status_records_the_binding_and_synced_resource_version(world) -> None:
    w = world(store(data={"k": "v"}), external_secret(data=[ref("a", "k")], target={"name": "out"}))
    w.sync()
    status = w.status()
    assert status.binding_name == "out"
    generation, _, digest = status.synced_resource_version.partition("-")
    assert generation == "1"
    assert len(digest) == 56
