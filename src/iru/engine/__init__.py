"""Services and batch runs that tie the pure core to storage: ingest, detect, assess,
cases, referrals, delivery, tracking, experiments, counter analysis."""
