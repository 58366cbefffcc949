"""The ActivityPub outbox reader on Mastodon-style sample files (whole outbox, page, archive)."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import msgspec
import pytest

from iru.domain import (
    Account,
    Interaction,
    InteractionKind,
    Media,
    MediaKind,
    Post,
    Record,
    interaction_id,
)
from iru.ingest.activitypub import ActivityPubFormat, html_to_text
from iru.ingest.base import IngestFormat, InputError, Rejected, read_head

from .conftest import DATA, EXAMPLES

FMT = ActivityPubFormat()
AP = DATA / "activitypub"
OUTBOX = EXAMPLES / "activitypub" / "outbox.json"
ARCHIVE = AP / "archive" / "outbox.json"
PAGE = AP / "page.json"
EMBEDDED_FIRST = AP / "embedded_first.json"
FIRST_URL = AP / "first_url.json"
MALFORMED = AP / "malformed.json"
MALFORMED_FIRST = AP / "malformed_first.json"

ALICE = "https://mastodon.example/users/alice"
BOB = "https://other.example/users/bob"
CAROL = "https://other.example/users/carol"
EMRE = "https://social.example/users/emre"
FRIDA = "https://pleroma.example/users/frida"
LAYLA = "https://social.example/users/layla"
NASRIN = "https://mastodon.example/users/nasrin"
YUSUF = "https://mastodon.example/users/yusuf"


def read(path: Path) -> list[Record | Rejected]:
    return list(FMT.read(path))


def tally(items: list[Record | Rejected]) -> Counter[str]:
    """How many of each record type, interactions counted by kind."""
    return Counter(i.kind.value if isinstance(i, Interaction) else type(i).__name__ for i in items)


def posts(items: list[Record | Rejected]) -> dict[str, Post]:
    return {p.post_id: p for p in items if isinstance(p, Post)}


def interactions(items: list[Record | Rejected], kind: InteractionKind) -> list[Interaction]:
    return [i for i in items if isinstance(i, Interaction) and i.kind is kind]


def items_of(path: Path, *keys: str) -> list[Any]:
    """The activities of a sample file, read with the stdlib to compare against."""
    node = json.loads(path.read_text(encoding="utf-8"))
    for key in keys:
        node = node[key]
    assert isinstance(node, list)
    return node


# --- the example outbox: one actor, several languages, boosts, replies, media ---------------


def test_example_outbox_counts() -> None:
    items = read(OUTBOX)
    assert tally(items) == {
        "Account": 1,
        "Post": 6,
        "Media": 4,
        "repost": 3,
        "reply": 2,
        "mention": 2,
    }
    (account,) = [i for i in items if isinstance(i, Account)]
    assert account.account_id == ALICE
    assert account.handle == "alice@mastodon.example"
    assert account.platform == "activitypub"
    assert items[0] == account  # the actor comes before anything it did


def test_records_follow_document_order() -> None:
    items = read(OUTBOX)
    sequence = [i.kind.value if isinstance(i, Interaction) else type(i).__name__ for i in items]
    assert sequence == [
        "Account",
        "Post",  # en, two photos
        "Media",
        "Media",
        "Post",  # ar
        "repost",  # boost of carol
        "Post",  # de reply to bob
        "reply",
        "mention",
        "Post",  # fa with a video
        "Media",
        # the Like is skipped
        "Post",  # tr with a gif
        "Media",
        "mention",
        "repost",  # boost of an embedded Pleroma note
        "repost",  # boost of a URL of unknown pattern
        "Post",  # en self-reply
        "reply",
    ]


def test_html_content_becomes_plain_text() -> None:
    by_id = posts(read(OUTBOX))
    german = next(p for p in by_id.values() if p.lang == "de")
    assert german.text == (
        "@bob Danke! Der Wochenmarkt ist diese Woche am Donnerstag, "
        "Äpfel & Birnen gibt es am Stand neben dem Brunnen.\n"
        "Alle Termine: https://example.org/wochenmarkt"
    )
    # The mention link is not a URL of the post; the plain link is, whole (invisible spans too).
    assert german.urls == ["https://example.org/wochenmarkt"]
    assert german.mentions == [BOB]
    english = [p for p in by_id.values() if p.lang == "en"]
    first, update = sorted(english, key=lambda p: p.created_at)
    assert first.text == (
        "Good morning from the community garden! 🌱 The tomatoes are finally turning red.\n"
        "Two photos from today’s walk #gardening #CommunityGarden"
    )
    assert first.hashtags == ["gardening", "CommunityGarden"]
    assert first.urls == []  # hashtag links are not URLs
    assert update.urls == ["https://example.org/seed-swap?lang=en&year=2024"]
    assert update.text.endswith("https://example.org/seed-swap?lang=en&year=2024 :blobcat_heart:")
    for post in by_id.values():
        assert "<" not in post.text and "&amp;" not in post.text


def test_arabic_note_lang_and_text() -> None:
    arabic = next(p for p in posts(read(OUTBOX)).values() if p.lang == "ar")
    assert arabic.post_id.startswith(f"{ALICE}/statuses/")
    assert arabic.account_id == ALICE
    assert arabic.text == (
        "صباح الخير من حديقة الحي! 🌿 نلتقي يوم السبت الساعة العاشرة لزراعة الزهور.\n#حديقة"
    )
    assert arabic.hashtags == ["حديقة"]
    assert arabic.created_at == datetime(2024, 3, 1, 8, 30, 40, tzinfo=UTC)
    assert arabic.created_at.utcoffset() is not None
    assert arabic.reply_to_post_id is None and arabic.reply_to_account_id is None
    assert arabic.conversation_id is not None and arabic.conversation_id.startswith("tag:")


def test_persian_and_turkish_notes() -> None:
    by_lang = {p.lang: p for p in posts(read(OUTBOX)).values()}
    assert set(by_lang) == {"en", "ar", "de", "fa", "tr"}
    persian = by_lang["fa"]
    assert persian.text.startswith("کتابخانه\u200cی محله از شنبه دوباره باز می\u200cشود. 📚")
    assert persian.hashtags == ["کتابخانه"]
    turkish = by_lang["tr"]
    # Its content warning comes first in the text, as a reader meets it, and is kept apart.
    assert turkish.content_warning == "Hava durumu"
    assert turkish.text == (
        "Hava durumu\n\nBugün hava çok güzel ☀️\nParkta yürüyüş yaptık, @emre da geldi."
    )
    assert turkish.mentions == [EMRE]
    assert turkish.reply_to_post_id is None


def test_media_from_attachments() -> None:
    items = read(OUTBOX)
    media = [m for m in items if isinstance(m, Media)]
    assert [m.kind for m in media] == [
        MediaKind.PHOTO,
        MediaKind.PHOTO,
        MediaKind.VIDEO,
        MediaKind.ANIMATED_GIF,
    ]
    photo = media[0]
    assert photo.media_id == photo.url
    assert photo.url is not None and photo.url.startswith("https://files.mastodon.example/")
    assert photo.mime_type == "image/jpeg"
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.alt_text == "Raised beds with tomato plants in morning light"
    assert photo.account_id == ALICE
    video = media[2]
    assert video.mime_type == "video/mp4" and video.alt_text is None
    by_id = posts(items)
    for item in media:
        assert item.media_id in by_id[item.post_id].media_ids
        assert item.created_at == by_id[item.post_id].created_at
    assert sum(len(p.media_ids) for p in by_id.values()) == len(media)


def test_announces_become_repost_edges_only() -> None:
    items = read(OUTBOX)
    announces = [a for a in items_of(OUTBOX, "orderedItems") if a["type"] == "Announce"]
    reposts = interactions(items, InteractionKind.REPOST)
    expected_dst = [
        (CAROL, "https://other.example/users/carol/statuses/111998877665544332"),
        (FRIDA, "https://pleroma.example/objects/6f1c2a4e-0b7d-4c1e-9a55-3e2d1f0a9b88"),
        (None, "https://video.example/videos/watch/9b1c7e2a-5d3f-4a8b-8c6e-0f2a1b3c4d5e"),
    ]
    assert [(r.dst_account_id, r.dst_post_id) for r in reposts] == expected_dst
    for repost, announce in zip(reposts, announces, strict=True):
        assert repost.src_account_id == ALICE
        assert repost.post_id == announce["id"]
        assert repost.created_at == datetime.fromisoformat(announce["published"])
        assert repost.interaction_id == interaction_id(
            InteractionKind.REPOST, ALICE, repost.dst_account_id, repost.post_id
        )
    # No post for the boosted statuses, nor for the announces themselves.
    post_ids = set(posts(items))
    assert not post_ids & {r.dst_post_id for r in reposts}
    assert not post_ids & {r.post_id for r in reposts}


def test_replies_and_mentions() -> None:
    items = read(OUTBOX)
    by_id = posts(items)
    replies = interactions(items, InteractionKind.REPLY)
    assert [(r.dst_account_id, r.dst_post_id) for r in replies] == [
        (BOB, "https://other.example/users/bob/statuses/111990000000000001"),
        (ALICE, f"{ALICE}/statuses/112019382665216101"),  # a self-reply, a thread
    ]
    for reply in replies:
        assert reply.post_id is not None
        post = by_id[reply.post_id]
        assert post.reply_to_post_id == reply.dst_post_id
        assert post.reply_to_account_id == reply.dst_account_id
    mentions = interactions(items, InteractionKind.MENTION)
    assert [m.dst_account_id for m in mentions] == [BOB, EMRE]
    assert all(m.src_account_id == ALICE and m.dst_post_id is None for m in mentions)
    assert len({i.interaction_id for i in items if isinstance(i, Interaction)}) == 7


def test_like_is_skipped() -> None:
    items = read(OUTBOX)
    liked = "https://social.example/users/emre/statuses/111999000000000777"
    assert not any(isinstance(i, Rejected) for i in items)
    for item in items:
        assert liked not in msgspec.json.encode(item).decode()


# --- other shapes: a Mastodon archive, a page, an embedded first page -----------------------


def test_archive_actor_json_enriches_the_account() -> None:
    raw = ARCHIVE.read_bytes()
    assert raw.count(b"\n") == 0  # Mastodon writes the archive outbox on one line
    items = read(ARCHIVE)
    assert tally(items) == {
        "Account": 1,
        "Post": 3,
        "Media": 1,
        "repost": 1,
        "reply": 1,
        "mention": 1,
    }
    account = items[0]
    assert account == Account(
        platform="activitypub",
        account_id=LAYLA,
        handle="layla@social.example",
        display_name="Layla 🌙",
        description="Bibliothekarin. Books & tea.\nمكتبة الحي",
        profile_image_url="avatar.png",
        url="https://social.example/@layla",
        created_at=datetime(2022, 11, 5, tzinfo=UTC),
        protected=False,
    )
    by_lang = {p.lang: p for p in posts(items).values()}
    assert by_lang["ar"].text == (
        "أمسية قراءة للأطفال في المكتبة يوم الخميس 📖\nالدخول مجاني والقهوة على حسابنا ☕"
    )
    poll = by_lang["de"]  # a poll (Question): its options follow the question, one a line
    assert poll.poll_options == ["Dienstag", "Donnerstag"]
    assert poll.text == "Welcher Tag passt euch für den Lesekreis?\n\nDienstag\nDonnerstag"
    (media,) = [m for m in items if isinstance(m, Media)]
    assert media.kind is MediaKind.PHOTO and media.alt_text == "ملصق أمسية القراءة"
    assert media.url is not None and media.url.startswith("media_attachments/files/")
    (repost,) = interactions(items, InteractionKind.REPOST)
    assert (repost.src_account_id, repost.dst_account_id) == (LAYLA, ALICE)


def test_a_broken_actor_json_is_rejected_and_the_outbox_still_read(tmp_path: Path) -> None:
    shutil.copy(ARCHIVE, tmp_path / "outbox.json")
    (tmp_path / "actor.json").write_bytes(b'{"type": "Person", "name": "no id"}')
    items = read(tmp_path / "outbox.json")
    first = items[0]
    assert isinstance(first, Rejected)
    assert first.locator == "actor.json"
    assert "id" in first.reason
    assert first.raw == b'{"type": "Person", "name": "no id"}'
    account = items[1]
    assert isinstance(account, Account)
    assert account.handle == "layla@social.example" and account.display_name is None
    assert tally(items)["Post"] == 3


def test_an_unrelated_actor_json_is_not_applied(tmp_path: Path) -> None:
    shutil.copy(PAGE, tmp_path / "outbox.json")
    shutil.copy(AP / "archive" / "actor.json", tmp_path / "actor.json")
    accounts = [i for i in read(tmp_path / "outbox.json") if isinstance(i, Account)]
    assert [(a.account_id, a.display_name) for a in accounts] == [(EMRE, None)]


def test_page_form_with_follows_and_skipped_activities() -> None:
    items = read(PAGE)
    assert tally(items) == {
        "Account": 1,
        "Post": 2,
        "repost": 1,
        "follow": 2,
        "reply": 1,
        "mention": 1,
    }
    assert items[0] == Account(
        platform="activitypub", account_id=EMRE, handle="emre@social.example"
    )
    follows = interactions(items, InteractionKind.FOLLOW)
    assert [f.dst_account_id for f in follows] == [ALICE, NASRIN]  # a URL, an embedded Person
    assert follows[0].interaction_id == f"follow:{EMRE}>{ALICE}"
    assert all(f.post_id is None and f.src_account_id == EMRE for f in follows)
    assert follows[0].created_at == datetime(2024, 3, 2, 10, tzinfo=UTC)
    # A reply to a URL that names no author: the edge is kept, its target unknown.
    (reply,) = interactions(items, InteractionKind.REPLY)
    assert reply.dst_account_id is None
    assert (
        reply.dst_post_id == "https://pleroma.example/objects/6f1c2a4e-0b7d-4c1e-9a55-3e2d1f0a9b88"
    )
    turkish = next(p for p in posts(items).values() if p.lang == "tr")
    assert turkish.text == "Kütüphanede bu hafta sonu kitap takası var! 📚 Herkes davetli.\n#kitap"
    assert turkish.hashtags == ["kitap"]
    # Delete and Update leave nothing behind.
    assert not any("Tombstone" in msgspec.json.encode(i).decode() for i in items)


def test_embedded_first_page() -> None:
    items = read(EMBEDDED_FIRST)
    assert tally(items) == {"Account": 1, "Post": 2, "Media": 1, "repost": 1}
    assert isinstance(items[0], Account) and items[0].account_id == NASRIN
    # Newest first, as the page has them.
    assert [type(i).__name__ for i in items[1:]] == ["Interaction", "Post", "Post", "Media"]
    (repost,) = interactions(items, InteractionKind.REPOST)
    assert repost.dst_account_id == LAYLA  # from the embedded note's attributedTo
    assert repost.dst_post_id is not None and repost.dst_post_id.startswith(f"{LAYLA}/statuses/")
    by_lang = {p.lang: p for p in posts(items).values()}
    assert by_lang["fa"].text == "بهار نزدیک است 🌸 در پارک شهر گل\u200cهای لاله باز شده\u200cاند."
    assert by_lang["de"].hashtags == ["Fahrrad"]


def test_a_first_page_given_only_as_a_url_has_nothing_to_read() -> None:
    assert read(FIRST_URL) == []


def test_gzipped_outbox(tmp_path: Path) -> None:
    packed = tmp_path / "outbox.json.gz"
    packed.write_bytes(gzip.compress(OUTBOX.read_bytes()))
    assert FMT.sniff(*read_head(packed))
    assert read(packed) == read(OUTBOX)


def test_progress_reports_every_byte() -> None:
    seen: list[int] = []
    list(FMT.read(OUTBOX, progress=seen.append))
    assert sum(seen) == OUTBOX.stat().st_size


# --- bad activities are quarantined one by one ----------------------------------------------


def test_malformed_activities_are_rejected_and_neighbours_kept() -> None:
    items = read(MALFORMED)
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [(r.locator, r.reason) for r in rejected] == [
        ("orderedItems[1]", "Object missing required field `published`"),
        ("orderedItems[2]", "Invalid RFC3339 encoded datetime - at `$.published`"),
        ("orderedItems[4]", "Expected `object`, got `int` - at `$.object`"),
        ("orderedItems[5]", "Object missing required field `id`"),
        ("orderedItems[6]", "Expected `object`, got `str`"),
        ("orderedItems[7]", "Object missing required field `id` - at `$.object`"),
        ("orderedItems[9]", "Expected `object`, got `str` - at `$.object`"),
        ("orderedItems[10]", "Object missing required field `type`"),
        ("orderedItems[12]", "Invalid RFC3339 encoded datetime - at `$.object.published`"),
    ]
    source = items_of(MALFORMED, "orderedItems")
    for reject in rejected:
        number = int(reject.locator.removeprefix("orderedItems[").rstrip("]"))
        assert msgspec.json.decode(reject.raw) == source[number]
    # Items 0, 3 and 8 are kept whole; the malformed Like (11) is skipped, not rejected.
    assert tally(items) == {
        "Account": 1,
        "Post": 2,
        "repost": 1,
        "reply": 1,
        "mention": 1,
        "Rejected": 9,
    }
    kept = posts(items)
    assert [p.lang for p in kept.values()] == ["en", "tr"]
    assert next(iter(kept.values())).text == "Testing the new bike lane map 🗺️"
    (reply,) = interactions(items, InteractionKind.REPLY)
    assert reply.src_account_id == YUSUF and reply.dst_account_id == EMRE
    # Each reject sits where its activity was, between its neighbours' records.
    order = [i.locator if isinstance(i, Rejected) else type(i).__name__ for i in items]
    assert (
        order.index("orderedItems[2]") < order.index("Interaction") < order.index("orderedItems[4]")
    )


def test_malformed_activity_in_the_embedded_first_page() -> None:
    items = read(MALFORMED_FIRST)
    (reject,) = [i for i in items if isinstance(i, Rejected)]
    assert reject.locator == "first.orderedItems[3]"
    assert reject.reason == "Invalid RFC3339 encoded datetime - at `$.published`"
    assert msgspec.json.decode(reject.raw) == items_of(MALFORMED_FIRST, "first", "orderedItems")[3]
    assert [p.lang for p in posts(items).values()] == ["en", "fa", "de"]
    assert tally(items)["repost"] == 1


def test_collection_items_that_are_not_an_array(tmp_path: Path) -> None:
    path = tmp_path / "outbox.json"
    path.write_text(
        json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{ALICE}/outbox",
                "type": "OrderedCollection",
                "orderedItems": {"type": "Create"},
            }
        ),
        encoding="utf-8",
    )
    (reject,) = read(path)
    assert isinstance(reject, Rejected)
    assert reject.locator == "orderedItems"
    assert reject.reason == "expected an array, got dict"


# --- whole documents that are not outboxes --------------------------------------------------


def test_a_document_that_is_not_a_collection_raises() -> None:
    actor = AP / "archive" / "actor.json"
    with pytest.raises(InputError, match=r"actor\.json: not an ActivityPub OrderedCollection"):
        read(actor)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"type": "Create"}]', "found a JSON list"),
        (b'{"type": "Collection", "items": []}', "found 'Collection'"),
        (b'{"@context": "https://www.w3.org/ns/activitystreams"}', "found None"),
        (b'{"type": "OrderedCollection", "orderedItems": [', "not a JSON document"),
    ],
)
def test_other_json_raises_input_error_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "not-an-outbox.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


# --- sniffing -------------------------------------------------------------------------------

TWARC2_RESPONSE = (
    b'{"data": [{"id": "1700000000000000009", "text": "see https://www.w3.org/ns/activitystreams '
    b'\\"type\\": \\"OrderedCollection\\"", "author_id": "1000000000000000009", '
    b'"created_at": "2024-03-01T06:00:00.000Z"}], "includes": {"users": []}, '
    b'"__twarc": {"url": "https://api.x.example/2/tweets/search/recent", "version": "2.14.0"}}'
)
TWARC2_FLAT = (
    b'{"id": "1700000000000000010", "text": "placeholder", "author_id": "1000000000000000010", '
    b'"created_at": "2024-03-01T06:00:00.000Z", "author": {"id": "1000000000000000010", '
    b'"username": "sample_user"}}'
)
TELEGRAM_HEAD = (
    b"{\n"
    b' "name": "Example Community Channel",\n'
    b' "type": "public_channel",\n'
    b' "id": 1234567890,\n'
    b' "messages": [\n'
    b"  {\n"
    b'   "id": 1,\n'
    b'   "type": "message",\n'
    b'   "date": "2024-03-01T09:00:00",\n'
    b'   "date_unixtime": "1709283600",\n'
    b'   "from": "Example Community Channel",\n'
    b'   "text": "Placeholder: the library opens at 9. https://www.w3.org/ns/activitystreams",\n'
    b'   "text_entities": [{"type": "plain", "text": "Placeholder"}]\n'
    b"  }\n"
)
IRU_JSONL = (
    b'{"record": "post", "platform": "activitypub", "post_id": "https://mastodon.example/users/'
    b'alice/statuses/1", "account_id": "https://mastodon.example/users/alice", "created_at": '
    b'"2024-03-01T10:15:00Z", "text": "https://www.w3.org/ns/activitystreams", '
    b'"type": "OrderedCollection"}'
)


@pytest.mark.parametrize(
    "path",
    [OUTBOX, ARCHIVE, PAGE, EMBEDDED_FIRST, FIRST_URL, MALFORMED, MALFORMED_FIRST],
    ids=lambda p: p.name if p != ARCHIVE else "archive",
)
def test_sniff_recognises_the_samples(path: Path) -> None:
    assert FMT.sniff(*read_head(path))


@pytest.mark.parametrize(
    "head",
    [TWARC2_RESPONSE, TWARC2_FLAT, TELEGRAM_HEAD, IRU_JSONL + b"\n" + IRU_JSONL],
    ids=["twarc2-response", "twarc2-flat", "telegram", "iru-jsonl"],
)
def test_sniff_rejects_other_formats(head: bytes) -> None:
    first_line = next(line for line in head.splitlines() if line.strip())
    assert not FMT.sniff(head, first_line.strip())


def test_sniff_rejects_a_lone_actor_and_non_json(tmp_path: Path) -> None:
    assert not FMT.sniff(*read_head(AP / "archive" / "actor.json"))
    assert not FMT.sniff(b"id,text\n1,hello\n", b"id,text")
    assert not FMT.sniff(b"[]", b"[]")


def test_sniff_reads_a_pretty_printed_head_cut_short() -> None:
    head = OUTBOX.read_bytes()[:2048]  # no longer valid JSON on its own
    assert FMT.sniff(head, b"{")


# --- the reader's helpers and its registration ----------------------------------------------


@pytest.mark.parametrize(
    ("html", "text", "links"),
    [
        ("<p>one</p><p>two<br>three<br />four</p>", "one\ntwo\nthree\nfour", []),
        ("<p>Fish &amp; chips &lt;3 &#128512;</p>", "Fish & chips <3 😀", []),
        (
            '<p><a href="https://example.org/a?b=1&amp;c=2" rel="nofollow">'
            '<span class="invisible">https://</span>example.org/a</a></p>',
            "https://example.org/a",
            ["https://example.org/a?b=1&c=2"],
        ),
        (
            '<p><a href="https://pleroma.example/tag/x">#x</a> '
            '<a href="https://pleroma.example/users/frida">@frida</a></p>',
            "#x @frida",
            [],
        ),
        ("", "", []),
        (None, "", []),
    ],
)
def test_html_to_text(html: str | None, text: str, links: list[str]) -> None:
    assert html_to_text(html) == (text, links)


def test_format_is_registered_under_its_name() -> None:
    (entry,) = [e for e in entry_points(group="iru.ingest_formats") if e.name == "activitypub"]
    cls = entry.load()
    assert cls is ActivityPubFormat
    assert isinstance(FMT, IngestFormat)
    assert FMT.name == "activitypub" and FMT.description
