"""The DuckDB queries behind :mod:`iru.storage.counter_reads`, over the archive's views.

Every query sees ``nodes`` (platform, account_id, idx, supporter) registered by the reader,
and ``$since`` (the window's start); day numbers are days since ``$first`` (the window's
first day, as days since 1970-01-01, in UTC).
"""

from __future__ import annotations

__all__ = [
    "AMPLIFIED_SQL",
    "CANDIDATE_TEXTS_SQL",
    "CONTACTS_SQL",
    "COUNT_SQL",
    "EDGES_SQL",
    "FOLLOWS_SQL",
    "ITEMS_SQL",
    "NODES_SQL",
    "OLDEST_SQL",
    "OWN_ONLY",
    "OWN_SQL",
    "POST_LANG_SQL",
    "TEXTS_SQL",
]

DAY = "CAST(floor(epoch({col}) / 86400) AS BIGINT) - $first"
NODES_SQL = """
SELECT platform, account_id FROM posts WHERE created_at >= $since
UNION SELECT platform, src_account_id FROM interactions
  WHERE created_at >= $since OR kind = 'follow'
UNION SELECT platform, dst_account_id FROM interactions
  WHERE (created_at >= $since OR kind = 'follow') AND dst_account_id IS NOT NULL
"""
OWN_SQL = """
SELECT n.idx AS idx, count(*) AS own, count(m.subject_id) AS marked,
  mode(coalesce(p.lang, l.lang)) AS lang
FROM posts p JOIN nodes n ON n.platform = p.platform AND n.account_id = p.account_id
LEFT JOIN post_lang l ON l.platform = p.platform AND l.post_id = p.post_id
LEFT JOIN (SELECT DISTINCT platform, subject_id FROM signals
           WHERE subject = 'post' AND detector <> 'language') m
  ON m.platform = p.platform AND m.subject_id = p.post_id
WHERE p.created_at >= $since AND p.repost_of_post_id IS NULL AND p.forwarded_from IS NULL
GROUP BY n.idx
"""
# Each query joins ``nodes`` to one side of an interaction at a time (MATERIALIZED CTEs):
# with both joins in one step DuckDB may join the two node lists on platform first, a
# cross product per platform, which ran out of memory on 10^4 accounts once the archive
# was compacted into few large files. EDGES_SQL also gives the reach model its edges.
AMPLIFIED_SQL = """
WITH e AS MATERIALIZED (
  SELECT i.platform, i.kind, s.idx AS src, i.dst_account_id FROM interactions i
  JOIN nodes s ON s.platform = i.platform AND s.account_id = i.src_account_id
  WHERE i.kind IN ('repost', 'forward', 'quote', 'reply') AND i.created_at >= $since
)
SELECT e.src AS idx, count(*) FILTER (WHERE e.kind IN ('repost', 'forward')) AS amplified,
  count(*) FILTER (WHERE e.kind IN ('quote', 'reply')) AS engaged
FROM e
JOIN nodes d ON d.platform = e.platform AND d.account_id = e.dst_account_id
WHERE d.supporter AND e.src <> d.idx
GROUP BY e.src
"""
CONTACTS_SQL = f"""
WITH c AS MATERIALIZED (
  SELECT i.platform, i.kind, i.created_at, i.dst_account_id, i.dst_post_id, a.idx AS account
  FROM interactions i
  JOIN nodes a ON a.platform = i.platform AND a.account_id = i.src_account_id
  WHERE NOT a.supporter
    AND i.kind IN ('follow', 'repost', 'forward', 'quote', 'reply')
    AND (i.kind = 'follow' OR i.created_at >= $since)
), m AS MATERIALIZED (
  SELECT i.platform, i.created_at, i.src_account_id, d.idx AS account
  FROM interactions i
  JOIN nodes d ON d.platform = i.platform AND d.account_id = i.dst_account_id
  WHERE i.kind = 'mention' AND NOT d.supporter AND i.created_at >= $since
)
SELECT c.account AS account, o.idx AS other, c.kind AS kind,
  CASE WHEN c.kind = 'follow' THEN -1 ELSE {DAY.format(col="c.created_at")} END AS day,
  p.hashtags AS hashtags
FROM c
JOIN nodes o ON o.platform = c.platform AND o.account_id = c.dst_account_id
LEFT JOIN posts p ON p.platform = c.platform AND p.post_id = c.dst_post_id
WHERE c.account <> o.idx
UNION ALL
SELECT m.account, s.idx, 'mention', {DAY.format(col="m.created_at")}, NULL
FROM m
JOIN nodes s ON s.platform = m.platform AND s.account_id = m.src_account_id
WHERE s.idx <> m.account
"""
EDGES_SQL = """
WITH e AS MATERIALIZED (
  SELECT i.platform, s.idx AS src, i.dst_account_id FROM interactions i
  JOIN nodes s ON s.platform = i.platform AND s.account_id = i.src_account_id
  WHERE i.created_at >= $since OR i.kind = 'follow'
)
SELECT e.src AS src, d.idx AS dst, count(*) AS n FROM e
JOIN nodes d ON d.platform = e.platform AND d.account_id = e.dst_account_id
WHERE e.src <> d.idx
GROUP BY ALL
"""
# Distinct supporters each account follows (follows are standing links: no window).
FOLLOWS_SQL = """
WITH f AS MATERIALIZED (
  SELECT i.platform, s.idx AS src, i.dst_account_id FROM interactions i
  JOIN nodes s ON s.platform = i.platform AND s.account_id = i.src_account_id
  WHERE i.kind = 'follow'
)
SELECT f.src AS idx, count(DISTINCT d.idx) AS n FROM f
JOIN nodes d ON d.platform = f.platform AND d.account_id = f.dst_account_id
WHERE d.supporter AND f.src <> d.idx
GROUP BY f.src
"""
# A post's language: the platform's tag, except on a repost or forward, whose tag is the
# passer-on's (the original's tag, else the language iru detected on the text).
LANG = """CASE WHEN p.repost_of_post_id IS NULL AND p.forwarded_from IS NULL
  THEN coalesce(p.lang, l.lang) ELSE coalesce(q.lang, l.lang, p.lang) END"""
ITEMS_SQL = f"""
SELECT n.idx AS author, {DAY.format(col="p.created_at")} AS day,
  coalesce(t.idx, -1) AS target, {LANG} AS lang, p.hashtags AS hashtags
FROM posts p
JOIN nodes n ON n.platform = p.platform AND n.account_id = p.account_id
JOIN {{side}} w ON w.idx = n.idx
LEFT JOIN post_lang l ON l.platform = p.platform AND l.post_id = p.post_id
LEFT JOIN posts q ON q.platform = p.platform
  AND q.post_id = coalesce(p.quote_of_post_id, p.repost_of_post_id)
LEFT JOIN nodes t ON t.platform = p.platform
  AND t.account_id = coalesce(p.reply_to_account_id, p.forwarded_from, q.account_id)
WHERE p.created_at >= $since
"""
TEXTS_SQL = f"""
SELECT n.idx AS author, {DAY.format(col="p.created_at")} AS day, p.text AS text,
  {LANG} AS lang, p.hashtags AS hashtags, p.urls AS urls
FROM posts p
JOIN nodes n ON n.platform = p.platform AND n.account_id = p.account_id
JOIN {{side}} w ON w.idx = n.idx
LEFT JOIN post_lang l ON l.platform = p.platform AND l.post_id = p.post_id
LEFT JOIN posts q ON q.platform = p.platform AND q.post_id = p.repost_of_post_id
WHERE p.created_at >= $since {{own}}
ORDER BY hash(p.platform || ':' || p.post_id), p.post_id
LIMIT $limit
"""
# The language iru detected on each post (for posts whose platform tag does not fit).
POST_LANG_SQL = """
CREATE TEMP VIEW post_lang AS SELECT platform, subject_id AS post_id, any_value(label) AS lang
FROM signals WHERE detector = 'language' AND subject = 'post' AND label <> 'und' GROUP BY ALL
"""
OWN_ONLY = "AND p.repost_of_post_id IS NULL AND p.forwarded_from IS NULL"
# How many posts TEXTS_SQL samples from.
COUNT_SQL = (
    "SELECT count(*) FROM posts p JOIN nodes n ON n.platform = p.platform "
    "AND n.account_id = p.account_id JOIN {side} w ON w.idx = n.idx "
    "WHERE p.created_at >= $since {own}"
)
# The window's first post.
OLDEST_SQL = "SELECT min(created_at) FROM posts WHERE created_at >= $since"
# The framing candidates' newest own posts, those on which a content detector fired first.
CANDIDATE_TEXTS_SQL = """
SELECT idx, text FROM (
  SELECT n.idx AS idx, p.text AS text, row_number() OVER (
    PARTITION BY n.idx ORDER BY m.subject_id IS NULL, p.created_at DESC, p.post_id) AS k
  FROM posts p
  JOIN nodes n ON n.platform = p.platform AND n.account_id = p.account_id
  JOIN candidates w ON w.idx = n.idx
  LEFT JOIN (SELECT DISTINCT platform, subject_id FROM signals
        WHERE subject = 'post' AND detector <> 'language') m
    ON m.platform = p.platform AND m.subject_id = p.post_id
  WHERE p.created_at >= $since AND p.repost_of_post_id IS NULL AND p.forwarded_from IS NULL
) WHERE k <= $per ORDER BY idx, k
"""
