"""A fast, deterministic generator of twarc2 response lines for benchmarks and kill tests.

Until the world simulator exists this is the bulk-input maker: API v2 responses of
100 tweets with their ``includes`` (users, referenced tweets, media), a mix of
originals, retweets, quotes and replies in several scripts, and optionally a
malformed tweet every ``bad_every`` tweets. Text is neutral filler.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = {
    "ar": [
        "صباح",
        "الخير",
        "الطقس",
        "اليوم",
        "معتدل",
        "في",
        "المدينة",
        "سوق",
        "الكتب",
        "مفتوح",
        "حتى",
        "المساء",
    ],
    "en": [
        "morning",
        "update",
        "weather",
        "mild",
        "in",
        "the",
        "city",
        "book",
        "market",
        "open",
        "until",
        "evening",
    ],
    "fr": [
        "bonjour",
        "météo",
        "douce",
        "en",
        "ville",
        "marché",
        "aux",
        "livres",
        "ouvert",
        "jusqu'au",
        "soir",
    ],
    "ru": [
        "доброе",
        "утро",
        "погода",
        "мягкая",
        "в",
        "городе",
        "книжный",
        "рынок",
        "открыт",
        "до",
        "вечера",
    ],
    "tr": [
        "günaydın",
        "hava",
        "bugün",
        "ılıman",
        "şehirde",
        "kitap",
        "pazarı",
        "akşama",
        "kadar",
        "açık",
    ],
}
LANGS = ["ar"] * 73 + ["en"] * 18 + ["fr"] * 6 + ["ru", "tr", "tr"]
START = datetime(2024, 3, 1, tzinfo=UTC)


def _user(uid: int, rng: random.Random) -> dict[str, object]:
    return {
        "id": str(10**17 + uid),
        "username": f"user_{uid:07d}",
        "name": f"User {uid}",
        "description": "synthetic account 🙂",
        "created_at": "2014-06-02T08:00:00.000Z",
        "profile_image_url": f"https://pbs.twimg.example/profile_images/{uid}/p_normal.jpg",
        "protected": False,
        "verified": False,
        "public_metrics": {
            "followers_count": int(rng.paretovariate(1.2) * 100),
            "following_count": rng.randint(0, 2000),
            "tweet_count": rng.randint(0, 50000),
            "listed_count": rng.randint(0, 20),
        },
    }


def write_twarc_file(
    path: Path,
    posts: int,
    *,
    seed: int = 0,
    accounts: int = 20_000,
    per_line: int = 100,
    days: int = 7,
    bad_every: int = 0,
) -> int:
    """Write about ``posts`` tweets (data + included) to ``path``; returns the data tweets written."""
    rng = random.Random(seed)
    written = 0
    next_id = 10**18
    recent: list[tuple[str, str, str]] = []  # (tweet id, author id, created_at) of originals
    seconds = days * 86400
    with path.open("w", encoding="utf-8") as out:
        while written < posts:
            data = []
            users: dict[str, dict[str, object]] = {}
            included = []
            media = []
            for _ in range(min(per_line, posts - written)):
                # Skewed like real activity: a few hyperactive accounts, a long tail of occasional ones.
                uid = int(accounts * rng.random() ** 3)
                user = _user(uid, rng)
                users[str(user["id"])] = user
                lang = rng.choice(LANGS)
                words = rng.choices(WORDS[lang], k=rng.randint(6, 14))
                text = " ".join(words) + f" #tag{rng.randint(0, 50)}"
                created = START + timedelta(seconds=rng.randrange(seconds))
                next_id += 1
                tweet: dict[str, object] = {
                    "id": str(next_id),
                    "text": text,
                    "author_id": user["id"],
                    "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "lang": lang,
                    "conversation_id": str(next_id),
                    "public_metrics": {
                        "retweet_count": 0,
                        "reply_count": 0,
                        "like_count": rng.randint(0, 9),
                        "quote_count": 0,
                    },
                    "entities": {
                        "hashtags": [
                            {
                                "start": len(text) - 6,
                                "end": len(text),
                                "tag": text.rsplit("#", 1)[1],
                            }
                        ]
                    },
                }
                roll = rng.random()
                if recent and roll < 0.45:
                    ref_id, ref_author, ref_created = rng.choice(recent)
                    kind = (
                        "retweeted" if roll < 0.35 else ("quoted" if roll < 0.40 else "replied_to")
                    )
                    tweet["referenced_tweets"] = [{"type": kind, "id": ref_id}]
                    if kind == "retweeted":
                        tweet["text"] = f"RT @user_{int(ref_author) - 10**17:07d}: {text}"
                    if kind == "replied_to":
                        tweet["in_reply_to_user_id"] = ref_author
                    mention = {
                        "start": 0,
                        "end": 13,
                        "username": f"user_{int(ref_author) - 10**17:07d}",
                        "id": ref_author,
                    }
                    tweet["entities"]["mentions"] = [mention]  # type: ignore[index]
                    if rng.random() < 0.3:
                        included.append(
                            {
                                "id": ref_id,
                                "text": "original",
                                "author_id": ref_author,
                                "created_at": ref_created,
                                "lang": lang,
                            }
                        )
                else:
                    recent.append((str(next_id), str(user["id"]), str(tweet["created_at"])))
                    if len(recent) > 5000:
                        recent.pop(0)
                if rng.random() < 0.1:
                    key = f"3_{next_id}"
                    tweet["attachments"] = {"media_keys": [key]}
                    media.append(
                        {
                            "media_key": key,
                            "type": "photo",
                            "url": f"https://pbs.twimg.example/media/{next_id}.jpg",
                            "width": 1200,
                            "height": 675,
                        }
                    )
                if bad_every and (written + 1) % bad_every == 0:
                    tweet["created_at"] = "not-a-date"
                data.append(tweet)
                written += 1
            response = {
                "data": data,
                "includes": {"users": list(users.values()), "tweets": included, "media": media},
                "meta": {"result_count": len(data)},
                "__twarc": {
                    "url": "https://api.twitter.com/2/tweets/search/all",
                    "version": "2.14.0",
                    "retrieved_at": (START + timedelta(days=days)).isoformat(),
                },
            }
            out.write(json.dumps(response, ensure_ascii=False))
            out.write("\n")
    return written
