"""Simulator writers benchmark: tweets, Telegram messages and ActivityPub notes written per second.

Writes 40,000 twarc2 tweets and 10,000 Telegram messages and ActivityPub notes each, made
from the hand-built records of ``tests/sim/test_writers.py`` (whose round trips check what
the writers write; this only times them), and prints the rates with the floors the test
suite used to assert (5,000 tweets/s, 1,000 messages or notes/s); a rate under its floor
exits 1.

    python bench/writers.py [--tweets 40000] [--messages 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sim.test_writers import (  # noqa: E402
    ALICE,
    CHANNEL,
    RETRIEVED,
    activitypub_world,
    telegram_world,
    twitter_world,
)

from iru.sim.writers import write_outbox, write_telegram_export, write_twarc2  # noqa: E402

FLOORS = {"twarc2 tweets/s": 5_000.0, "telegram messages/s": 1_000.0, "outbox notes/s": 1_000.0}


def twarc2_rate(folder: Path, n: int) -> tuple[float, float]:
    """Tweets per second and MB per second of ``write_twarc2`` for ``n`` tweets."""
    accounts, base, media, _ = twitter_world()
    posts = []
    for i in range(n):
        model = base[i % len(base)]
        ref = str(100_000 + i - 1)
        posts.append(
            msgspec.structs.replace(
                model,
                post_id=str(100_000 + i),
                conversation_id=str(100_000 + i),
                media_ids=[],
                repost_of_post_id=ref if model.repost_of_post_id else None,
                quote_of_post_id=ref if model.quote_of_post_id else None,
                reply_to_post_id=ref if model.reply_to_post_id else None,
            )
        )
    start = time.perf_counter()
    path = write_twarc2(folder / "big.jsonl", accounts, posts, media, [], RETRIEVED)
    seconds = time.perf_counter() - start
    return n / seconds, path.stat().st_size / seconds / 1e6


def telegram_and_outbox_rates(folder: Path, n: int) -> tuple[float, float]:
    """Messages per second of ``write_telegram_export`` and notes per second of
    ``write_outbox``, ``n`` of each."""
    channel, tg_base, _, _, accounts = telegram_world()
    tg_posts = [
        msgspec.structs.replace(
            tg_base[i % 5],
            post_id=f"{CHANNEL}/{1000 + i}",
            media_ids=[],
            reply_to_post_id=None,
            reply_to_account_id=None,
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    write_telegram_export(folder / "result.json", channel, tg_posts, [], [], accounts)
    tg_rate = n / (time.perf_counter() - start)
    actor, ap_base, _, _ = activitypub_world()
    ap_posts = [
        msgspec.structs.replace(
            ap_base[i % 4], post_id=f"{ALICE}/statuses/{1000 + i}", media_ids=[]
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    write_outbox(folder / "alice", actor, ap_posts, [], [])
    return tg_rate, n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=40_000)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tweets, megabytes = twarc2_rate(folder, args.tweets)
        messages, notes = telegram_and_outbox_rates(folder, args.messages)
    rates = {
        "twarc2 tweets/s": tweets,
        "telegram messages/s": messages,
        "outbox notes/s": notes,
    }
    print(f"write_twarc2: {args.tweets:,} tweets, {megabytes:.0f} MB/s")
    for name, rate in rates.items():
        floor = FLOORS[name]
        print(f"{name}: {rate:,.0f} (floor {floor:,.0f}){'' if rate > floor else '  BELOW'}")
    sys.exit(0 if all(rate > FLOORS[name] for name, rate in rates.items()) else 1)


if __name__ == "__main__":
    main()
