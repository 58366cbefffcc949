"""Sharing referred accounts with partners: STIX 2.1 bundles and MISP event JSON.

Pure builders: :func:`stix_bundle` and :func:`misp_event` take :class:`SharedTarget`
records (one per referred account) and a :class:`SharingContext` (who shares, when) and
return JSON-ready dicts; :func:`to_json` writes them the same way every time. What a
target holds, and what it deliberately leaves out, is in :mod:`.records`; the shape of
each format in :mod:`.stix` and :mod:`.misp`. Gathering targets from a workspace is
:mod:`iru.engine.services.sharing`'s job.
"""

from __future__ import annotations

from iru.cases.sharing.misp import MISP_SUCCESSOR, MISP_USER_ACCOUNT, misp_event
from iru.cases.sharing.records import (
    ACCOUNT_TYPES,
    HASH_TYPES,
    NAMESPACE,
    REFERRAL_CATEGORY,
    KnownHash,
    SharedEvidence,
    SharedTarget,
    SharingContext,
    account_type,
    profile_url,
    to_json,
)
from iru.cases.sharing.stix import (
    PDQ_HASH_KEY,
    RESURGENCE_RELATIONSHIP,
    STIX_HASH_KEYS,
    stix_bundle,
)

__all__ = [
    "ACCOUNT_TYPES",
    "HASH_TYPES",
    "MISP_SUCCESSOR",
    "MISP_USER_ACCOUNT",
    "NAMESPACE",
    "PDQ_HASH_KEY",
    "REFERRAL_CATEGORY",
    "RESURGENCE_RELATIONSHIP",
    "STIX_HASH_KEYS",
    "KnownHash",
    "SharedEvidence",
    "SharedTarget",
    "SharingContext",
    "account_type",
    "misp_event",
    "profile_url",
    "stix_bundle",
    "to_json",
]
