"""Fuzzed ingest input in each reader's real export shape, and the check that every record is kept.

Everything here is driven by one ``random.Random`` (a seed), so the hypothesis tests and
``bench/fuzz.py`` make the same files from the same seed. Records are taken from the
sample files (examples/), given fresh ids and text, and some are mutated: a field set
to a hostile value (huge or negative ints, NUL bytes, very long or odd unicode strings,
path traversal, 100,000-level nesting, wrong types), a field removed or added, the
record replaced, or its line turned to garbage (truncated JSON, bad UTF-8, NaN).

Each input record becomes a :class:`Unit`: the quarantine locators that would account
for it and the (platform, id) it is stored under. :func:`unaccounted` lists the units
that ended neither stored nor quarantined with a reason.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# The reader shapes: (format name for ``iru ingest --format``, file suffix).
SHAPES: dict[str, tuple[str, str]] = {
    "twitter-v2": ("twitter-v2", ".jsonl"),
    "twitter-v2-flat": ("twitter-v2", ".jsonl"),
    "telegram": ("telegram", ".json"),
    "activitypub": ("activitypub", ".json"),
    "jsonl": ("jsonl", ".jsonl"),
}

HUGE_INTS = (2**63, 2**64, 10**30, -(2**63) - 1, -1, -(10**20))
HOSTILE_STRINGS = (
    "",
    "\x00",
    "nul\x00byte",
    "../../../../etc/passwd",
    "https://x//etc/passwd",
    "/media/../../etc/shadow",
    "..",
    "%00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "@1199",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2024-03-01T12:00:00",
    "-99999999999",
    "1e309",
    "\u202ereversed\u202c",
    "e\u0301\u0301\u0301 combining",
    "\U0001f9ea\U0001f469\u200d\U0001f52c emoji",
    "\ufeffbom",
    "\ud800 lone surrogate",
    "line\nbreak\r\n\ttab",
)


@dataclass(frozen=True)
class Deep:
    """A value nested ``depth`` levels deep (written as text: Python's json would recurse)."""

    depth: int
    opener: str = "["

    def text(self) -> str:
        closer = "]" if self.opener == "[" else "}"
        inner = "1" if self.opener == "[" else ""
        if self.opener == "{":
            return '{"a":' * self.depth + "{}" + closer * self.depth
        return self.opener * self.depth + inner + closer * self.depth


def random_text(rng: random.Random, longest: int = 80) -> str:
    """Text from several scripts (Latin, Arabic, Cyrillic, CJK, emoji), hashtags and mentions."""
    alphabets = (
        "abcdefghijklmnopqrstuvwxyz ",
        "ابتثجحخدذرزسشصضطظعغفقكلمنهوي ",
        "абвгдежзийклмнопрстуфхцчшщыэюя ",
        "的一是不了人我在有他这中大来上",
        "\U0001f600\U0001f9ea\U0001f4f0\u2705 ",
    )
    words = []
    for _ in range(rng.randint(1, 12)):
        letters = rng.choice(alphabets)
        word = "".join(rng.choice(letters) for _ in range(rng.randint(1, 9)))
        words.append(rng.choice(("", "", "", "#", "@")) + word)
    return " ".join(words)[:longest]


def hostile_value(rng: random.Random, *, whole_document: bool = False) -> Any:
    """One value a careful reader must survive. In a whole-document shape the values that
    make the whole file unreadable (a lone surrogate, nesting past the decoder's limit) are
    left out here (:func:`_maybe_break_document` adds one to some files), so most files
    still reach their records."""
    kind = rng.randrange(9)
    if whole_document and kind in {1, 3}:
        if kind == 3:
            return Deep(rng.choice((16, 64, 400)), rng.choice("[{"))
        return rng.choice(HOSTILE_STRINGS[:-2])
    if kind == 0:
        return rng.choice(HUGE_INTS)
    if kind == 1:
        return rng.choice(HOSTILE_STRINGS)
    if kind == 2:
        return "x" * (70_000 if rng.random() < 0.1 else 1_000) + rng.choice(("", "\x00"))
    if kind == 3:
        depth = 100_000 if rng.random() < 0.05 else rng.choice((64, 2_000))
        return Deep(depth, rng.choice("[{"))
    if kind == 4:
        return rng.choice((None, True, False, 0, -1, 1.5, 1e308, -0.0))
    if kind == 5:
        return rng.choice(([], {}, [None], {"": None}, [1, "a", {}], {"id": {"id": {}}}))
    if kind == 6:
        return random_text(rng, 2_000)
    if kind == 7:
        return rng.randint(-(2**70), 2**70)
    points = (rng.randrange(1, 0x2FFFF) for _ in range(rng.randint(1, 40)))
    return "".join(chr(p) for p in points if not 0xD800 <= p <= 0xDFFF)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (dict keys and list indexes)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return value


def mutate(record: Any, rng: random.Random, log: list[str], *, whole_document: bool = False) -> Any:
    """``record`` with one to three mutations (it is copied first); each is noted in ``log``."""
    value = copy.deepcopy(record)
    for _ in range(rng.randint(1, 3)):
        paths = _paths(value)
        path = rng.choice(paths[1:] or paths)
        operation = rng.randrange(10)
        if operation < 6 or not path:
            new = hostile_value(rng, whole_document=whole_document)
            value = _set(value, path, new)
            log.append(f"set {list(path)} = {_describe(new)}")
        elif operation < 8:
            parent = value
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
            log.append(f"delete {list(path)}")
        else:
            parent = value
            for step in path[:-1]:
                parent = parent[step]
            if isinstance(parent, dict):
                key = rng.choice(("extra", "__proto__", "\x00", "id", "type", "x" * 300))
                parent[key] = hostile_value(rng, whole_document=whole_document)
                log.append(f"add {list(path[:-1])}[{key[:20]!r}]")
            else:
                parent.append(hostile_value(rng, whole_document=whole_document))
                log.append(f"append to {list(path[:-1])}")
    return value


def _describe(value: Any) -> str:
    if isinstance(value, Deep):
        return f"nested {value.depth} deep ({value.opener})"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}… ({len(text)} chars)"


_RECORD_NAME = re.compile(r"\b(?:post|media|account|interaction) ([^/\s]+/.*)$", re.DOTALL)
# A record refused for its empty id: "line 3: post twitter/" (line readers), "post activitypub/",
# or an edge whose carrying post's id is empty: "interaction activitypub/repost:>https://…".
_EMPTY_ID = re.compile(
    r"^(?:(line \d+): )?(?:(?:post|media|account|interaction) [^/\s]+/|interaction [^/\s]+/\w+:>.*)$",
    re.DOTALL,
)
_DEEP_TOKEN = re.compile(r'"(__iru_deep_\d+__)"')


def dumps(value: Any) -> bytes:
    """One JSON text; :class:`Deep` values expanded, lone surrogates escaped."""
    deep: dict[str, Deep] = {}

    def default(obj: Any) -> Any:
        if isinstance(obj, Deep):
            token = f"__iru_deep_{len(deep)}__"
            deep[token] = obj
            return token
        raise TypeError(type(obj).__name__)

    text = json.dumps(value, ensure_ascii=False, default=default)
    if deep:  # one pass: a replace per value would copy a large document each time
        text = _DEEP_TOKEN.sub(lambda match: deep[match.group(1)].text(), text)
    return text.encode("utf-8", "backslashreplace")


def garbage_line(rng: random.Random, good: bytes) -> bytes:
    """A line no reader can use."""
    kind = rng.randrange(6)
    if kind == 0:
        return good[: rng.randrange(1, max(2, len(good)))]  # truncated JSON
    if kind == 1:
        return b"\xff\xfe\x00" + good[:50]  # not UTF-8
    if kind == 2:
        return b'{"id": NaN, "text": Infinity}'
    if kind == 3:
        return Deep(100_000).text().encode()
    if kind == 4:
        return b"[1, 2, 3]"
    return b'"just a string"'


@dataclass
class Unit:
    """One input record: what would account for it, quarantined or stored."""

    where: str  # for messages: "line 3: data[1]", "messages[7]"
    locators: tuple[str, ...]  # quarantine locators equal to one of these account for it
    prefixes: tuple[str, ...]  # ... or starting with one of these
    key: tuple[str, str] | None  # (platform, id) once stored; None: it can only be quarantined


@dataclass
class FuzzFile:
    shape: str
    path: Path
    units: list[Unit] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    @property
    def format_name(self) -> str:
        return SHAPES[self.shape][0]


def _lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _sid(value: Any) -> str | None:
    """The id a reader would store ``value`` under, if it can be an id at all."""
    if isinstance(value, str) and value:
        return value
    return None


def _mutated(
    record: Any, rng: random.Random, rate: float, log: list[str], where: str, *, document: bool
) -> Any:
    if rng.random() >= rate:
        return record
    notes: list[str] = []
    changed = mutate(record, rng, notes, whole_document=document)
    log.append(f"{where}: " + "; ".join(notes))
    return changed


class _Writer:
    """Builds one fuzz file of a shape from samples, unit by unit."""

    def __init__(self, shape: str, rng: random.Random, tag: str, rate: float) -> None:
        self.shape = shape
        self.rng = rng
        self.tag = tag
        self.rate = rate
        self.serial = 0

    def fresh_id(self, numeric: bool = False) -> str:
        self.serial += 1
        if numeric:
            return str(
                1_800_000_000_000_000_000
                + zlib.crc32(self.tag.encode()) % 10**12 * 10**6
                + self.serial
            )
        return f"fz-{self.tag}-{self.serial}"


def _jsonl_key(record: Any) -> tuple[str, str] | None:
    if not isinstance(record, dict) or not isinstance(record.get("platform"), str):
        return None
    platform, kind = record["platform"], record.get("type")
    field_name = {"account": "account_id", "post": "post_id", "media": "media_id"}.get(
        kind if isinstance(kind, str) else ""
    )
    if field_name:
        ident = _sid(record.get(field_name))
        return (platform, ident) if ident else None
    if kind == "interaction":
        given = record.get("interaction_id")
        if given is not None:
            return (platform, given) if isinstance(given, str) else None
        post, src, dst = (
            record.get("post_id"),
            record.get("src_account_id"),
            record.get("dst_account_id"),
        )
        if not isinstance(src, str) or not isinstance(record.get("kind"), str):
            return None
        if post is None:
            return (platform, f"{record['kind']}:{src}>{dst or ''}")
        return (platform, f"{record['kind']}:{post}>{dst or ''}") if isinstance(post, str) else None
    return None


def _line_file(writer: _Writer, records: int, path: Path, fz: FuzzFile) -> None:
    rng, shape = writer.rng, writer.shape
    lines: list[bytes] = []
    if shape == "jsonl":
        samples = _lines(EXAMPLES / "jsonl" / "forum-export.jsonl")
    elif shape == "twitter-v2-flat":
        samples = _lines(EXAMPLES / "twitter" / "flattened.jsonl")
    else:
        samples = _lines(EXAMPLES / "twitter" / "search-responses.jsonl")
    while len(fz.units) < records:
        number = len(lines) + 1
        where = f"line {number}"
        record = copy.deepcopy(rng.choice(samples))
        if shape == "jsonl":
            id_field = {"account": "account_id", "post": "post_id", "media": "media_id"}
            if record["type"] in id_field:
                record[id_field[record["type"]]] = writer.fresh_id()
            else:
                record["post_id"] = writer.fresh_id()
            if "text" in record:
                record["text"] = random_text(rng)
        elif shape == "twitter-v2-flat":
            record["id"] = writer.fresh_id(numeric=True)
            record["text"] = random_text(rng)
        else:
            for tweet in record.get("data", []):
                tweet["id"] = writer.fresh_id(numeric=True)
                tweet["text"] = random_text(rng)
        record = _mutated(record, rng, writer.rate, fz.log, where, document=False)
        line = dumps(record)
        if rng.random() < writer.rate / 10:
            line = garbage_line(rng, line)
            fz.log.append(f"{where}: garbage {line[:40]!r}")
            record = None
        lines.append(line)
        fz.units.extend(_line_units(shape, record, where))
    data = b"\n".join(lines) + b"\n"
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)


def _line_units(shape: str, record: Any, where: str) -> list[Unit]:
    if shape == "jsonl":
        return [Unit(where, (where,), (where,), _jsonl_key(record))]  # one record a line
    if shape == "twitter-v2-flat":
        ident = _sid(record.get("id")) if isinstance(record, dict) else None
        key = ("twitter", ident) if ident else None
        return [Unit(where, (where,), (f"{where}: post",), key)]  # not "line 3: author"
    if not isinstance(record, dict) or not ("data" in record or "includes" in record):
        return [Unit(where, (where,), (), None)]
    units = []
    data = record.get("data")
    items = data if isinstance(data, list) else ([] if data is None else [data])
    for index, tweet in enumerate(items):
        ident = _sid(tweet.get("id")) if isinstance(tweet, dict) else None
        label = f"{where}: data[{index}]"
        units.append(
            Unit(label, (where, f"{where}: data"), (label,), ("twitter", ident) if ident else None)
        )
    includes = record.get("includes")
    if isinstance(includes, dict):
        for key in ("users", "tweets"):
            group = includes.get(key)
            group = group if isinstance(group, list) else ([] if group is None else [group])
            for index, item in enumerate(group):
                ident = _sid(item.get("id")) if isinstance(item, dict) else None
                label = f"{where}: includes.{key}[{index}]"
                units.append(
                    Unit(
                        label,
                        (where, f"{where}: includes"),
                        (label,),
                        ("twitter", ident) if ident else None,
                    )
                )
    return units


def _message_key(message: Any) -> tuple[str, str] | None:
    if not isinstance(message, dict):
        return None
    ident = message.get("id")
    if isinstance(ident, bool) or not isinstance(ident, int):
        return None
    return ("telegram", f"#{ident}")


def _telegram_file(writer: _Writer, records: int, path: Path, fz: FuzzFile) -> None:
    rng = writer.rng
    sample = json.loads((EXAMPLES / "telegram" / "result.json").read_text(encoding="utf-8"))
    messages = sample["messages"]
    chats = []
    full = rng.random() < 0.5
    base = zlib.crc32(writer.tag.encode()) % 10**6 * 10**5
    chat_count = 2 if full and records >= 20 else 1
    per_chat = -(-records // chat_count)
    for chat_index in range(chat_count):
        chat = {k: v for k, v in sample.items() if k != "messages"}
        chat["id"] = 1_500_000_000 + zlib.crc32(writer.tag.encode()) % 10**8 + chat_index
        prefix = f"chats.list[{chat_index}]." if full else ""
        chat_where = prefix.rstrip(".") or "$"
        body = []
        for index in range(per_chat):
            message = copy.deepcopy(rng.choice(messages))
            message["id"] = base + index + 1
            if isinstance(message.get("text"), str) or rng.random() < 0.5:
                message["text"] = random_text(rng)
                message.pop("text_entities", None)
            message = _mutated(
                message, rng, writer.rate, fz.log, f"{prefix}messages[{index}]", document=True
            )
            body.append(message)
            if isinstance(message, dict) and message.get("type") == "service":
                continue
            label = f"{prefix}messages[{index}]"
            fz.units.append(
                Unit(
                    label,
                    ("document", chat_where, f"{prefix}messages"),
                    (label,),
                    _message_key(message),
                )
            )
        chat["messages"] = _maybe_break_document(body, rng, fz.log, f"{prefix}messages")
        if rng.random() < writer.rate / 20:
            chat = _mutated(chat, rng, 1.0, fz.log, chat_where, document=True)
        chats.append(chat)
    document: Any = (
        {"about": "synthetic", "chats": {"about": "", "list": chats}} if full else chats[0]
    )
    path.write_bytes(dumps(document))


def _activity_unit(item: Any, label: str) -> Unit | None:
    if not isinstance(item, dict):
        return Unit(label, ("document", "orderedItems"), (label,), None)
    kind = item.get("type")
    if kind == "Create":
        obj = item.get("object")
        ident = _sid(obj.get("id")) if isinstance(obj, dict) else None
        return Unit(
            label, ("document", "orderedItems"), (label,), ("activitypub", ident) if ident else None
        )
    if kind == "Announce":
        ident = _sid(item.get("id"))
        return Unit(
            label, ("document", "orderedItems"), (label,), ("activitypub", ident) if ident else None
        )
    return None  # other activities (Like, Update, …) give no records by design


def _activitypub_file(writer: _Writer, records: int, path: Path, fz: FuzzFile) -> None:
    rng = writer.rng
    sample = json.loads((EXAMPLES / "activitypub" / "outbox.json").read_text(encoding="utf-8"))
    items = []
    while len(fz.units) < records:
        index = len(items)
        item = copy.deepcopy(rng.choice(sample["orderedItems"]))
        status = f"https://mastodon.example/users/alice/statuses/{writer.fresh_id()}"
        item["id"] = f"{status}/activity"
        if item["type"] == "Create" and isinstance(item.get("object"), dict):
            item["object"]["id"] = status
            item["object"]["content"] = f"<p>{random_text(rng)}</p>"
            item["object"].pop("contentMap", None)
        label = f"orderedItems[{index}]"
        item = _mutated(item, rng, writer.rate, fz.log, label, document=True)
        items.append(item)
        unit = _activity_unit(item, label)
        if unit is not None:
            fz.units.append(unit)
        elif len(items) > 4 * records + 10:
            break
    document = {k: v for k, v in sample.items() if k != "orderedItems"}
    document["totalItems"] = len(items)
    document["orderedItems"] = _maybe_break_document(items, rng, fz.log, "orderedItems")
    path.write_bytes(dumps(document))


def _maybe_break_document(items: list[Any], rng: random.Random, log: list[str], where: str) -> Any:
    """``items``, in one file out of ten with one value the decoder cannot read inside."""
    if not items or rng.random() >= 0.1:
        return items
    index = rng.randrange(len(items))
    killer = Deep(100_000) if rng.random() < 0.5 else "\ud800 lone surrogate"
    if isinstance(items[index], dict):
        items[index]["fuzz"] = killer
    else:
        items[index] = killer
    log.append(f"{where}[{index}]: set ['fuzz'] = {_describe(killer)} (breaks the document)")
    return items


def write_fuzz_file(
    shape: str, seed: int, directory: Path, records: int, *, rate: float = 0.5, gz: bool = False
) -> FuzzFile:
    """A fuzz file of ``shape`` with about ``records`` input records, from ``seed``.

    ``rate`` is the share of records mutated (a tenth of that share of lines is garbage).
    """
    rng = random.Random(f"{shape}:{seed}")
    suffix = SHAPES[shape][1] + (".gz" if gz and shape not in {"telegram", "activitypub"} else "")
    path = directory / f"fuzz-{shape}-{seed}{suffix}"
    fz = FuzzFile(shape, path)
    writer = _Writer(shape, rng, f"{seed}", rate)
    if shape == "telegram":
        _telegram_file(writer, records, path, fz)
    elif shape == "activitypub":
        _activitypub_file(writer, records, path, fz)
    else:
        _line_file(writer, records, path, fz)
    return fz


def stored_keys(ws: Any) -> set[tuple[str, str]]:
    """Every (platform, id) the store holds: accounts, posts, media, interactions (by id and by
    post), and Telegram posts by message id ("#<id>")."""
    keys: set[tuple[str, str]] = {
        (a["platform"], a["account_id"]) for a in ws.database.iter_accounts()
    }
    with ws.archive.query() as conn:
        for query in (
            "SELECT platform, post_id FROM posts",
            "SELECT platform, media_id FROM media",
            "SELECT platform, interaction_id FROM interactions",
            "SELECT platform, post_id FROM interactions WHERE post_id IS NOT NULL",
        ):
            keys.update((p, k) for p, k in conn.execute(query).fetchall())
        for (post_id,) in conn.execute(
            "SELECT post_id FROM posts WHERE platform = 'telegram'"
        ).fetchall():
            keys.add(("telegram", "#" + post_id.rsplit("/", 1)[-1]))
    return keys


def unaccounted(
    units: Iterable[Unit], quarantined: Iterable[tuple[str, str]], stored: set[tuple[str, str]]
) -> list[str]:
    """The units neither stored nor quarantined with a reason; ``quarantined`` holds the
    file's (locator, reason) rows."""
    rows = [(locator, reason) for locator, reason in quarantined]
    problems = [
        f"{loc}: quarantined without a reason" for loc, reason in rows if not reason.strip()
    ]
    exact = {locator for locator, _ in rows}
    # A record refused by the store's checks is named "<kind> <platform>/<id>".
    by_key = {m.group(1) for locator in exact if (m := _RECORD_NAME.search(locator))}
    for named in list(by_key):  # an edge names its post: "activitypub/repost:<post>><target>"
        platform, _, rest = named.partition("/")
        if ":" in rest:
            by_key.add(f"{platform}/{rest.split(':', 1)[1].split('>', 1)[0]}")
    by_key |= {"telegram/#" + k.rsplit("/", 1)[-1] for k in by_key if k.startswith("telegram/")}
    # Rows naming a record with an empty id, each accounting for one unit without a key.
    empty_ids = [m.group(1) or "" for locator, _ in rows if (m := _EMPTY_ID.match(locator))]
    for unit in units:
        if unit.key is not None and (
            unit.key in stored or (unit.key[0], unit.key[1].replace("\x00", "")) in stored
        ):
            continue  # (NUL bytes are dropped from text on the way in)
        if exact.intersection(unit.locators):
            continue
        if unit.key is not None and f"{unit.key[0]}/{unit.key[1]}".replace("\x00", "") in by_key:
            continue  # quarantined by the record it made (``line 3: post twitter/123``)
        if any(
            locator == prefix or locator.startswith((f"{prefix}:", f"{prefix} ", f"{prefix}."))
            for locator in exact
            for prefix in unit.prefixes
        ):
            continue
        line = unit.where.split(":", 1)[0] if unit.where.startswith("line ") else ""
        if unit.key is None and line in empty_ids:
            empty_ids.remove(line)  # its id was empty: refused as "post twitter/"
            continue
        key = repr(unit.key)
        key = key if len(key) <= 120 else f"{key[:60]}…{key[-40:]} ({len(key)} chars)"
        problems.append(f"{unit.where}: neither stored (as {key}) nor quarantined")
    return problems
