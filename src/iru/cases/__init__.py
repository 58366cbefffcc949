"""The case workflow: audit log, evidence, and (later) triage, review and referral."""
