"""Writes a simulated world to a folder: platform exports, media, hash list, ground truth, manifest.

Layout under ``--out``::

    twitter/<day>.jsonl                       X API v2 responses, twarc2's line format
    telegram/<day>/<channel>/result.json      Telegram Desktop single-channel exports
    activitypub/<day>/<name>/outbox.json      Mastodon-style outboxes (+ actor.json)
    follows.jsonl                             sampled follow edges into the network (iru JSONL)
    media/<media id>.png                      release images and their edited copies
    media/profile/<seed>/<variant>.png        profile pictures of accounts that resurged (URL path)
    hashes/known-content.{csv,json,txt}       part of the releases as a known-content list
    hashes/known-texts.jsonl                  those releases' texts as first posted (texts-jsonl)
    knowledge/indicators.toml                 an analyst's indicator file: half of each marker kind
    knowledge/labels.csv                      about 10 % of the accounts with their true label
                                              (counter_speech for counter-speech accounts)
    ground_truth.csv                          every account: role, label, actor, predecessor
    ground_truth_markers.json                 the world's marker vocabulary (for evaluation only)
    world.json                                the manifest: config, counts, files and their SHA-256

The same config gives byte-identical files: nothing here reads the clock.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing as mp
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

from iru.domain import InteractionKind, interaction_id
from iru.sim.config import WorldConfig
from iru.sim.hashlists import HashListFormat, KnownHash, write_hash_list
from iru.sim.knowledge import analyst_indicators, analyst_labels
from iru.sim.media import encode_media, make_variant, render_release
from iru.sim.world import DayOutput, World
from iru.sim.writers import write_outbox, write_telegram_export, write_twarc2


@dataclass(slots=True)
class WorldSummary:
    """What a run produced, for world.json and the command's report."""

    days: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256


@dataclass(frozen=True, slots=True)
class Child:
    """A forked writer process and the pipe its file digests come back on."""

    process: Any
    receiver: Any


@dataclass(slots=True)
class Owned:
    """The records of one channel or actor on one day."""

    posts: list[Any] = field(default_factory=list)
    media: list[Any] = field(default_factory=list)
    interactions: list[Any] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class WorldWriter:
    """Writes each day of a world as it is stepped, then the ground truth and manifest."""

    def __init__(self, world: World, out: Path) -> None:
        self.world = world
        self.out = out
        self.summary = WorldSummary()
        self.known: list[KnownHash] = []
        self.known_texts: dict[str, str] = {}  # text -> label, in release order
        self._children: list[Child] = []

    def _fork(self, work: Callable[[], None]) -> Child:
        """Run ``work`` in a forked copy of this process (both cores busy); join() merges its files."""
        receiver, sender = mp.get_context("fork").Pipe(duplex=False)

        def run() -> None:
            self.summary.files = {}
            work()
            sender.send(self.summary.files)
            sender.close()

        process = mp.get_context("fork").Process(target=run, daemon=True)
        process.start()
        sender.close()
        return Child(process, receiver)

    def _join(self) -> None:
        for child in self._children:
            try:
                files = child.receiver.recv()
            except EOFError as exc:
                raise RuntimeError("a simulator writer process failed") from exc
            child.process.join()
            if child.process.exitcode != 0:
                raise RuntimeError(
                    f"a simulator writer process exited with {child.process.exitcode}"
                )
            self.summary.files.update(files)
        self._children = []

    def _put(self, relative: str, data: bytes) -> None:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.summary.files[relative] = _sha(data)

    def _record(self, relative: str) -> None:
        self.summary.files[relative] = _sha((self.out / relative).read_bytes())

    def write_day(self, day: DayOutput) -> None:
        self._join()  # at most one earlier day still being written beside this one
        formats = set(self.world.config.formats)
        stamp = day.start.date().isoformat()
        observed = day.start + timedelta(days=1)
        counts: dict[str, Any] = {"day": stamp}
        for platform, records in day.platforms.items():
            counts[platform] = {
                "accounts": len(records.accounts),
                "posts": len(records.posts),
                "media": len(records.media),
                "interactions": len(records.interactions),
            }

        def other_files() -> None:
            if "telegram" in formats:
                self._write_grouped(day, "telegram", stamp)
            if "activitypub" in formats:
                self._write_grouped(day, "activitypub", stamp)
            for media in day.media_files:
                self._put(f"media/{media.media_id}.png", media.png)

        self._children.append(self._fork(other_files))
        if "twitter-v2" in formats and day.platforms["twitter"].posts:
            records = day.platforms["twitter"]
            relative = f"twitter/{stamp}.jsonl"
            (self.out / "twitter").mkdir(parents=True, exist_ok=True)
            write_twarc2(
                self.out / relative,
                list(records.accounts.values()),
                records.posts,
                records.media,
                records.interactions,
                retrieved_at=observed,
            )
            self._record(relative)
        # Part of each day's releases becomes known content (what a hash-sharing list holds).
        labels: dict[str, str] = {}
        for media in day.media_files:
            if media.kind in ("original", "crop") and int(media.sha256[:2], 16) < 154:
                label = f"terrorist-content/{media.release_id.split('-')[0]}"
                labels[media.release_id] = label
                self.known.append(
                    KnownHash(
                        sha256=media.sha256,
                        md5=media.md5,
                        pdq=media.pdq,
                        label=label,
                        created_at=observed,
                    )
                )
        # ... and the same releases' texts, as the outlet first posted them.
        for release in day.releases:
            text = day.release_texts.get(release.release_id)
            if text is not None and release.release_id in labels:
                self.known_texts.setdefault(text, labels[release.release_id])
        counts["releases"] = len(day.releases)
        counts["events"] = _event_counts(day)
        self.summary.days.append(counts)

    def _write_grouped(self, day: DayOutput, platform: str, stamp: str) -> None:
        """One export per channel or actor: its posts, their media and interactions."""
        records = day.platforms[platform]
        owned: dict[str, Owned] = {}
        owner_of: dict[str, str] = {}
        for post in records.posts:
            owned.setdefault(post.account_id, Owned()).posts.append(post)
            owner_of[post.post_id] = post.account_id
        for media in records.media:
            owned[owner_of[media.post_id]].media.append(media)
        for edge in records.interactions:
            if edge.post_id in owner_of:
                owned[owner_of[edge.post_id]].interactions.append(edge)
        folder = f"{platform}/{stamp}"
        for owner in sorted(owned):
            part = owned[owner]
            account = records.accounts[owner]
            if platform == "telegram":
                relative = f"{folder}/{owner}/result.json"
                (self.out / relative).parent.mkdir(parents=True, exist_ok=True)
                write_telegram_export(
                    self.out / relative,
                    account,
                    part.posts,
                    part.media,
                    part.interactions,
                    records.accounts,
                )
                self._record(relative)
            else:
                name = owner.split("://", 1)[1].replace("/users/", "@").replace("/", "_")
                relative_dir = f"{folder}/{name}"
                (self.out / relative_dir).mkdir(parents=True, exist_ok=True)
                write_outbox(
                    self.out / relative_dir / "outbox.json",
                    account,
                    part.posts,
                    part.media,
                    part.interactions,
                )
                for produced in sorted((self.out / relative_dir).iterdir()):
                    self._record(f"{relative_dir}/{produced.name}")

    def finish(self) -> None:
        world = self.world
        self._children.append(self._fork(self._write_follows))
        self._write_avatars()
        lists: tuple[tuple[HashListFormat, str], ...] = (
            ("gifct-csv", "csv"),
            ("tat-json", "json"),
            ("pdq-plain", "txt"),
        )
        for fmt, name in lists:
            relative = f"hashes/known-content.{name}"
            (self.out / "hashes").mkdir(parents=True, exist_ok=True)
            write_hash_list(self.known, self.out / relative, fmt)
            self._record(relative)
        texts = (
            _json_line({"label": label, "source": "iru-sim", "text": text})
            for text, label in self.known_texts.items()
        )
        self._put("hashes/known-texts.jsonl", b"".join(texts))
        self._put("knowledge/indicators.toml", analyst_indicators(world.vocabulary).encode())
        # The analysts' labels say counter_speech where ground_truth.csv says not_supporter.
        rows = [(a.platform, a.account_id, a.analyst_label) for a in world.accounts]
        reviewed = [a.role.is_hard_negative for a in world.accounts]
        labels = analyst_labels(rows, world.config.seed, reviewed=reviewed)
        self._put("knowledge/labels.csv", labels.encode())
        self._put("ground_truth.csv", ground_truth_csv(world).encode("utf-8"))
        markers = {"seed": world.config.seed, "markers": sorted(world.vocabulary.all_markers())}
        self._put("ground_truth_markers.json", _json(markers))
        manifest = {
            "generator": "iru.sim",
            "config": _config_dict(world.config),
            "days": self.summary.days,
            "accounts": len(world.accounts),
            "follow_edges": world.graph.edges,
            "files": dict(sorted(self.summary.files.items())),
        }
        self._join()
        manifest["files"] = dict(sorted(self.summary.files.items()))
        (self.out / "world.json").write_bytes(_json(manifest))

    def _write_follows(self) -> None:
        """Follow edges into the supporter network, as iru JSONL interactions."""
        world = self.world
        accounts, graph = world.accounts, world.graph
        when = world.config.start - timedelta(days=1)
        lines = io.BytesIO()
        encoder = msgspec.json.Encoder()
        for src in range(graph.offsets.size - 1):
            for dst in graph.followees(src):
                target = accounts[int(dst)]
                if not target.role.is_supporter:
                    continue
                source = accounts[src]
                lines.write(
                    encoder.encode(
                        {
                            "type": "interaction",
                            "platform": "twitter",
                            "kind": "follow",
                            "interaction_id": interaction_id(
                                InteractionKind.FOLLOW, source.account_id, target.account_id, None
                            ),
                            "src_account_id": source.account_id,
                            "dst_account_id": target.account_id,
                            "created_at": when.isoformat().replace("+00:00", "Z"),
                        }
                    )
                )
                lines.write(b"\n")
        self._put("follows.jsonl", lines.getvalue())

    def _write_avatars(self) -> None:
        """Profile pictures of every account in a resurgence chain (old and new)."""
        seen: set[tuple[int, int]] = set()
        chains = [a for a in self.world.accounts if a.generation > 0]
        for account in chains:
            for variant in range(account.image_variant + 1):
                key = (account.image_seed, variant)
                if key in seen:
                    continue
                seen.add(key)
                image = render_release(account.image_seed, account.image_seed % 7, (200, 200))
                if variant:
                    image = make_variant(image, "reencode", account.image_seed + variant)
                encoded = encode_media(image, f"{key[0]}-{key[1]}", "avatar", "original")
                self._put(f"media/profile/{key[0]}/{key[1]}.png", encoded.png)


def ground_truth_csv(world: World) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "platform",
            "account_id",
            "handle",
            "role",
            "label",
            "actor_id",
            "predecessor",
            "generation",
            "lang",
            "status",
            "suspended_day",
        ]
    )
    for a in world.accounts:
        writer.writerow(
            [
                a.platform,
                a.account_id,
                a.handle,
                a.role.value,
                a.label,
                a.actor_id,
                a.predecessor or "",
                a.generation,
                a.lang,
                "active" if a.active else "suspended",
                "" if a.suspended_day is None else a.suspended_day,
            ]
        )
    return buffer.getvalue()


def _event_counts(day: DayOutput) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in day.events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    return dict(sorted(counts.items()))


def _config_dict(config: WorldConfig) -> dict[str, Any]:
    data = asdict(config)
    data["start"] = config.start.isoformat()
    return data


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _json_line(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def simulate(
    config: WorldConfig, out: Path, on_day: Callable[[DayOutput], None] | None = None
) -> World:
    """Build a world, step it ``config.days`` times, write everything under ``out``."""
    world = World(config)
    writer = WorldWriter(world, out)
    for _ in range(config.days):
        day = world.step()
        writer.write_day(day)
        if on_day is not None:
            on_day(day)
    writer.finish()
    return world


__all__ = ["WorldWriter", "ground_truth_csv", "simulate"]
