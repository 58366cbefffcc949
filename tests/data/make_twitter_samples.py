"""Writes the twarc2 sample files in examples/twitter and tests/data/twitter (run once; outputs are committed).

Built from the X API v2 documentation's object shapes; every id and handle is synthetic.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

USERS = [
    {
        "id": "1000000000000000001",
        "username": "relay_desk_ar",
        "name": "مكتب الأخبار التجريبي",
        "description": "حساب تجريبي لأغراض الاختبار فقط 📰",
        "location": "—",
        "created_at": "2014-06-02T08:00:00.000Z",
        "profile_image_url": "https://pbs.twimg.example/profile_images/1/a_normal.jpg",
        "protected": False,
        "verified": False,
        "url": "",
        "public_metrics": {
            "followers_count": 5230,
            "following_count": 12,
            "tweet_count": 18211,
            "listed_count": 40,
        },
    },
    {
        "id": "1000000000000000002",
        "username": "amplifier_0042",
        "name": "amp 42",
        "description": "",
        "created_at": "2014-09-15T11:30:00.000Z",
        "profile_image_url": "https://pbs.twimg.example/profile_images/2/b_normal.jpg",
        "protected": False,
        "verified": False,
        "public_metrics": {
            "followers_count": 311,
            "following_count": 980,
            "tweet_count": 40250,
            "listed_count": 0,
        },
    },
    {
        "id": "1000000000000000003",
        "username": "researcher_lena",
        "name": "Lena (research, example)",
        "description": "Studies online networks. Synthetic account.",
        "created_at": "2011-01-20T09:00:00.000Z",
        "profile_image_url": "https://pbs.twimg.example/profile_images/3/c_normal.jpg",
        "protected": False,
        "verified": True,
        "public_metrics": {
            "followers_count": 10400,
            "following_count": 800,
            "tweet_count": 5120,
            "listed_count": 210,
        },
    },
    {
        "id": "1000000000000000004",
        "username": "petit_matin",
        "name": "Petit Matin",
        "description": "Café, vélo et météo ☕🚲",
        "created_at": "2013-03-03T07:00:00.000Z",
        "profile_image_url": "https://pbs.twimg.example/profile_images/4/d_normal.jpg",
        "protected": False,
        "verified": False,
        "public_metrics": {
            "followers_count": 208,
            "following_count": 190,
            "tweet_count": 912,
            "listed_count": 1,
        },
    },
    {
        "id": "1000000000000000005",
        "username": "novosti_primer",
        "name": "Новости (пример)",
        "description": "Учебный аккаунт",
        "created_at": "2012-12-12T12:00:00.000Z",
        "profile_image_url": "https://pbs.twimg.example/profile_images/5/e_normal.jpg",
        "protected": False,
        "verified": False,
        "public_metrics": {
            "followers_count": 1004,
            "following_count": 77,
            "tweet_count": 3321,
            "listed_count": 9,
        },
    },
]
U = {u["username"]: u for u in USERS}


def mention(text: str, user: dict, start: int | None = None) -> dict:
    s = text.index("@" + user["username"]) if start is None else start
    return {
        "start": s,
        "end": s + len(user["username"]) + 1,
        "username": user["username"],
        "id": user["id"],
    }


def hashtag(text: str, tag: str) -> dict:
    s = text.index("#" + tag)
    return {"start": s, "end": s + len(tag) + 1, "tag": tag}


def url_entity(text: str, short: str, expanded: str) -> dict:
    s = text.index(short)
    return {
        "start": s,
        "end": s + len(short),
        "url": short,
        "expanded_url": expanded,
        "display_url": expanded.split("//")[1][:20],
    }


def tweet(tid, user, created, text, lang, **extra) -> dict:
    t = {
        "id": tid,
        "text": text,
        "author_id": user["id"],
        "created_at": created,
        "lang": lang,
        "conversation_id": extra.pop("conversation_id", tid),
        "edit_history_tweet_ids": [tid],
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "source": "Example Client",
        "public_metrics": extra.pop(
            "metrics",
            {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 0,
            },
        ),
    }
    t.update(extra)
    return t


ORIGINAL_TEXT = "نشرة الصباح: الطقس معتدل اليوم في المدينة 🌤️ #نشرة_تجريبية https://t.co/abc123"
original = tweet(
    "1700000000000000001",
    U["relay_desk_ar"],
    "2024-03-01T06:00:00.000Z",
    ORIGINAL_TEXT,
    "ar",
    metrics={
        "retweet_count": 2,
        "reply_count": 1,
        "like_count": 14,
        "quote_count": 1,
        "bookmark_count": 0,
        "impression_count": 900,
    },
    entities={
        "hashtags": [hashtag(ORIGINAL_TEXT, "نشرة_تجريبية")],
        "urls": [
            url_entity(
                ORIGINAL_TEXT, "https://t.co/abc123", "https://files.example.org/bulletin/0301"
            )
        ],
    },
    attachments={"media_keys": ["3_1700000000000000001"]},
)
RT_TEXT = "RT @relay_desk_ar: " + ORIGINAL_TEXT[:60]
retweet = tweet(
    "1700000000000000002",
    U["amplifier_0042"],
    "2024-03-01T06:00:41.000Z",
    RT_TEXT,
    "ar",
    referenced_tweets=[{"type": "retweeted", "id": original["id"]}],
    entities={"mentions": [mention(RT_TEXT, U["relay_desk_ar"], 3)]},
)
QUOTE_TEXT = "Interesting example of a bulletin format for our dataset paper, cc @petit_matin 🧪 https://t.co/q1"
quote = tweet(
    "1700000000000000003",
    U["researcher_lena"],
    "2024-03-01T09:12:00.000Z",
    QUOTE_TEXT,
    "en",
    referenced_tweets=[{"type": "quoted", "id": original["id"]}],
    entities={
        "mentions": [mention(QUOTE_TEXT, U["petit_matin"])],
        "urls": [
            url_entity(
                QUOTE_TEXT,
                "https://t.co/q1",
                "https://twitter.com/relay_desk_ar/status/1700000000000000001",
            )
        ],
    },
)
REPLY_TEXT = "@relay_desk_ar Merci, il fait beau ici aussi ☀️ #météo"
reply = tweet(
    "1700000000000000004",
    U["petit_matin"],
    "2024-03-01T07:30:00.000Z",
    REPLY_TEXT,
    "fr",
    conversation_id=original["id"],
    in_reply_to_user_id=U["relay_desk_ar"]["id"],
    referenced_tweets=[{"type": "replied_to", "id": original["id"]}],
    entities={
        "mentions": [mention(REPLY_TEXT, U["relay_desk_ar"])],
        "hashtags": [hashtag(REPLY_TEXT, "météo")],
    },
)
RU_TEXT = "Доброе утро! Сегодня в парке открылась выставка цветов 🌷 @researcher_lena"
russian = tweet(
    "1700000000000000005",
    U["novosti_primer"],
    "2024-03-02T05:45:10.000Z",
    RU_TEXT,
    "ru",
    entities={"mentions": [mention(RU_TEXT, U["researcher_lena"])]},
    attachments={"media_keys": ["7_1700000000000000005"]},
)
RT2_TEXT = "RT @novosti_primer: Доброе утро! Сегодня в парке открылась выставка"
retweet2 = tweet(
    "1700000000000000006",
    U["amplifier_0042"],
    "2024-03-02T05:46:00.000Z",
    RT2_TEXT,
    "ru",
    referenced_tweets=[{"type": "retweeted", "id": russian["id"]}],
    entities={"mentions": [mention(RT2_TEXT, U["novosti_primer"], 3)]},
)
MEDIA = [
    {
        "media_key": "3_1700000000000000001",
        "type": "photo",
        "url": "https://pbs.twimg.example/media/bulletin.jpg",
        "width": 1200,
        "height": 675,
        "alt_text": "صورة توضيحية",
    },
    {
        "media_key": "7_1700000000000000005",
        "type": "video",
        "preview_image_url": "https://pbs.twimg.example/media/flowers.jpg",
        "width": 1280,
        "height": 720,
        "duration_ms": 15000,
    },
]
TWARC = {
    "url": "https://api.twitter.com/2/tweets/search/all?query=example",
    "version": "2.14.0",
    "retrieved_at": "2024-03-02T12:00:00+00:00",
}


def response(data, users, included, media, retrieved="2024-03-02T12:00:00+00:00"):
    return {
        "data": data,
        "includes": {"users": users, "tweets": included, "media": media},
        "meta": {
            "result_count": len(data),
            "newest_id": data[0]["id"],
            "oldest_id": data[-1].get("id", ""),
        },
        "__twarc": {**TWARC, "retrieved_at": retrieved},
    }


def flatten(tw, includes_tweets, media):
    """What twarc2's expansions.flatten adds to a tweet (author, media, expanded refs)."""
    users = {**{u["id"]: u for u in USERS}, **{u["username"]: u for u in USERS}}
    out = json.loads(json.dumps(tw))
    out["author"] = users[tw["author_id"]]
    if "in_reply_to_user_id" in tw:
        out["in_reply_to_user"] = users[tw["in_reply_to_user_id"]]
    if "attachments" in tw:
        out["attachments"]["media"] = [
            m for m in media if m["media_key"] in tw["attachments"]["media_keys"]
        ]
    if "entities" in tw and "mentions" in tw["entities"]:
        out["entities"]["mentions"] = [
            {**m, **users[m["username"]]} for m in tw["entities"]["mentions"]
        ]
    if "referenced_tweets" in tw:
        refs = []
        for ref in tw["referenced_tweets"]:
            full = json.loads(json.dumps(includes_tweets[ref["id"]]))
            full["author"] = users[full["author_id"]]
            refs.append({**ref, **full})
        out["referenced_tweets"] = refs
    out["__twarc"] = TWARC
    return out


def main() -> None:
    page1 = response(
        [retweet, quote, reply],
        [U["amplifier_0042"], U["researcher_lena"], U["petit_matin"], U["relay_desk_ar"]],
        [original],
        MEDIA[:1],
    )
    page2 = response(
        [russian, retweet2],
        [U["novosti_primer"], U["amplifier_0042"], U["researcher_lena"]],
        [],
        MEDIA[1:],
        "2024-03-03T12:00:00+00:00",
    )
    lines = [json.dumps(page1, ensure_ascii=False), json.dumps(page2, ensure_ascii=False)]
    (ROOT / "examples/twitter/search-responses.jsonl").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    by_id = {t["id"]: t for t in (original, retweet, quote, reply, russian, retweet2)}
    flat = [flatten(t, by_id, MEDIA) for t in (original, retweet, quote, reply, russian, retweet2)]
    (ROOT / "examples/twitter/flattened.jsonl").write_text(
        "\n".join(json.dumps(t, ensure_ascii=False) for t in flat) + "\n", encoding="utf-8"
    )
    # Malformed: a truncated line, a tweet with a bad date, a tweet without id, a non-object, a blank line.
    bad_tweet = {**reply, "id": "1700000000000000099", "created_at": "yesterday"}
    no_id = {k: v for k, v in quote.items() if k != "id"}
    good = {**russian, "id": "1700000000000000098"}
    bad_page = response(
        [good, bad_tweet, no_id],
        [U["novosti_primer"], U["petit_matin"], U["researcher_lena"], U["relay_desk_ar"]],
        [],
        [],
    )
    malformed = [
        json.dumps(page1, ensure_ascii=False),
        json.dumps(page1, ensure_ascii=False)[:500],
        json.dumps(bad_page, ensure_ascii=False),
        "",
        "[1, 2, 3]",
        '{"data": [{"id": "1700000000000000097", "text": "no date"}], "includes": {"users": [{"username": "no_id_user"}]}}',
    ]
    (ROOT / "tests/data/twitter/malformed.jsonl").write_text(
        "\n".join(malformed) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
