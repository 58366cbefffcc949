"""The unit's standing details for TCO removal orders, read from its ``[authority]`` settings.

A unit fills in once what every Annex I order repeats: the issuing Member State and
authority (section E), the contacts for feedback and clarification (F), redress (G), and
per platform the hosting service provider it addresses (A), its Member State and, when
that differs from the issuer's, the competent authority that gets a copy (D, Art. 4).
:func:`authority_from_mapping` checks the table and names every missing or invalid key;
:func:`iru.cases.packages.build_removal_order` turns a profile into an order. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from iru.cases.tco_forms import EU_MEMBER_STATES, AuthorityType


@dataclass(frozen=True)
class ProviderProfile:
    """What a unit knows about one hosting service provider (sections A, D and F)."""

    addressee: str  # A.addressee
    contact_point: str  # A.contact_point: the provider's designated contact point
    member_state: str  # A.provider_member_state
    legal_representative: str | None = None  # A.legal_representative
    language: str = "en"  # the order's language: one the provider designated (Art. 15(2))
    home_state_authority: str | None = None  # D.copy_sent_to, when member_state differs
    home_state_authority_contact: str | None = None  # F.home_state_authority_contact


@dataclass(frozen=True)
class AuthorityProfile:
    """What a unit configures once for its removal orders (sections A, E, F, G), per provider."""

    issuing_member_state: str  # A.issuing_member_state
    authority_type: AuthorityType  # E.type
    name: str  # E.name
    representative: str  # E.representative
    post: str  # E.post
    address: str  # E.address
    telephone: str  # E.telephone
    email: str  # E.email
    feedback_contact: str  # F.feedback_contact
    redress_body: str  # G.body
    redress_time_limit: str  # G.time_limit
    clarification_contact: str | None = None  # F.clarification_contact
    redress_national_law_url: str | None = None  # G.national_law_url
    authenticated_channel: bool = True  # E.authenticated_channel
    providers: Mapping[str, ProviderProfile] = field(default_factory=dict)


class AuthoritySettingsError(ValueError):
    """The ``[authority]`` settings are incomplete or invalid; ``problems`` names each key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _read_table(
    cls: type[Any], data: object, path: str, problems: list[str], *, keys: Mapping[str, str]
) -> dict[str, Any]:
    """The fields of dataclass ``cls`` read from a settings table, problems named by key.

    ``keys`` renames fields to their settings keys; ``providers`` is left to the caller.
    """
    if not isinstance(data, Mapping):
        problems.append(f"{path}: expected a table, got {type(data).__name__}")
        return {}
    wanted = {keys.get(f.name, f.name): f for f in fields(cls) if f.name != "providers"}
    problems += [f"{path}.{k}: unknown key" for k in data if k not in wanted and k != "providers"]
    values: dict[str, Any] = {}
    for key, spec in wanted.items():
        value, flag = data.get(key), str(spec.type) == "bool"
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.default is MISSING:
                problems.append(f"{path}.{key}: missing")
        elif not isinstance(value, bool if flag else str):
            want = "true or false" if flag else "a string"
            problems.append(f"{path}.{key}: expected {want}, got {type(value).__name__}")
        else:
            values[spec.name] = value.strip() if isinstance(value, str) else value
    return values


def _state(values: dict[str, Any], name: str, path: str, problems: list[str]) -> None:
    if name in values:
        values[name] = values[name].upper()
        if values[name] not in EU_MEMBER_STATES:
            problems.append(f"{path}.{name}: {values[name]!r} is not an EU Member State code")


def authority_from_mapping(data: Mapping[str, Any]) -> AuthorityProfile:
    """The unit's authority profile from its ``[authority]`` settings table.

    Raises :class:`AuthoritySettingsError` (a ValueError) naming every missing or invalid
    key, e.g. ``authority.email: missing``.
    """
    problems: list[str] = []
    values = _read_table(
        AuthorityProfile, data, "authority", problems, keys={"authority_type": "type"}
    )
    _state(values, "issuing_member_state", "authority", problems)
    if "authority_type" in values:
        try:
            values["authority_type"] = AuthorityType(values["authority_type"])
        except ValueError:
            allowed = ", ".join(t.value for t in AuthorityType)
            problems.append(
                f"authority.type: {values.pop('authority_type')!r} is not one of {allowed}"
            )
    if "email" in values and not _EMAIL.match(values["email"]):
        problems.append(f"authority.email: {values['email']!r} is not an email address")
    law = urlsplit(values.get("redress_national_law_url", "https://ok"))
    if law.scheme not in {"http", "https"} or not law.netloc:
        problems.append("authority.redress_national_law_url: not an http(s) URL")
    table = data.get("providers", {}) if isinstance(data, Mapping) else {}
    if not isinstance(table, Mapping):
        problems.append("authority.providers: expected a table of platforms")
        table = {}
    providers: dict[str, ProviderProfile] = {}
    for platform, entry in table.items():
        where = f"authority.providers.{platform}"
        found: list[str] = []
        got = _read_table(ProviderProfile, entry, where, found, keys={})
        _state(got, "member_state", where, found)
        state = got.get("member_state")
        differs = state and state != values.get("issuing_member_state", state)
        if differs and "home_state_authority" not in got:
            found.append(
                f"{where}.home_state_authority: missing (the provider is in {state}, not"
                " the issuing state, so a copy goes to that state's competent authority)"
            )
        if not found:
            providers[str(platform)] = ProviderProfile(**got)
        problems += found
    if problems:
        raise AuthoritySettingsError(problems)
    return AuthorityProfile(**values, providers=providers)
