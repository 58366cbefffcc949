"""Services and batch runs that tie the pure core to storage: ingest, detect, assess,
cases, referrals, delivery, tracking, experiments, counter analysis, and log-in
without HTTP (auth.py, shared by the CLI and the web)."""
