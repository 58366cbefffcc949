"""The batch stages: ingest an export, score its posts, re-assess the accounts touched."""
