"""Transactional services: each acts for a principal, checks its permission and audits it."""
