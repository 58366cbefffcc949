"""Hostile input to the workbench's routes: every one answers 4xx with a clear message.

A synthetic export whose media and profile-image URLs point outside the media folder
(``https://x//etc/passwd``, ``https://x/../../secret``) used to break the account page and
API, or be shown as ``/media/../../…`` (telling an observer whether a server file
exists); ``/media/%00`` and over-long names, an unbounded ``hold_days`` on the page form,
case ids past 64 bits and a non-ASCII callback signature header gave 500s. Here each is
sent and each answer is a 4xx naming what was wrong, and media links only ever point to
files inside the media folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from iru.cases.access import Role
from iru.cli import cli
from iru.config import load_settings
from iru.engine.readers.media import file_in, local_file
from iru.engine.services.auth import AuthService
from iru.engine.services.cases import CaseService
from iru.web.app import create_app
from iru.web.callbacks import SIGNATURE_HEADER, callback_app, signature
from iru.workspace import Workspace

PASSWORD = "a long test password"
PROBE = "1000000000000000901"  # links to files outside the media folder
PLAIN = "1000000000000000902"  # a profile picture the unit holds
BIG = str(2**64 + 5)


def _tweet_file(path: Path) -> None:
    """A twarc2 response page of two synthetic accounts and their posts."""
    users = [
        {"id": PROBE, "username": "probe_media_a", "name": "Probe A",
         "created_at": "2020-01-01T00:00:00.000Z",
         "profile_image_url": "https://pbs.example/../../secret-outside.txt"},
        {"id": PLAIN, "username": "plain_media_b", "name": "Plain B",
         "created_at": "2020-01-01T00:00:00.000Z",
         "profile_image_url": "https://pbs.example/profile/ok.jpg"},
    ]  # fmt: skip
    tweets = [
        {"id": "1800000000000000901", "text": "synthetic post with media", "author_id": PROBE,
         "created_at": "2024-03-01T06:00:00.000Z", "lang": "en",
         "attachments": {"media_keys": ["3_901", "3_902", "3_903"]}},
        {"id": "1800000000000000902", "text": "synthetic post", "author_id": PLAIN,
         "created_at": "2024-03-01T07:00:00.000Z", "lang": "en"},
    ]  # fmt: skip
    media = [
        {"media_key": "3_901", "type": "photo", "url": "https://x//etc/passwd"},
        {"media_key": "3_902", "type": "photo", "url": "https://x/%2e%2e/secret-outside.txt"},
        {"media_key": "3_903", "type": "photo", "url": "https://pbs.example/media/shown.jpg"},
    ]
    page = {"data": tweets, "includes": {"users": users, "media": media}}
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Hostile:
    root: Path
    media: Path

    def open(self) -> Workspace:
        flags = {"workspace": str(self.root), "media_dir": str(self.media)}
        return Workspace(load_settings(flags=flags, environ={}))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    base = tmp_path_factory.mktemp("hostile")
    media = base / "media"
    (media / "profile").mkdir(parents=True)
    (media / "media").mkdir()
    (media / "profile" / "ok.jpg").write_bytes(b"\xff\xd8synthetic")
    (media / "media" / "shown.jpg").write_bytes(b"\xff\xd8synthetic")
    (base / "secret-outside.txt").write_text("not for the web")
    (media / "link-out.jpg").symlink_to(base / "secret-outside.txt")
    export = base / "export.jsonl"
    _tweet_file(export)
    root = base / "ws"
    env = {"IRU_WORKSPACE": str(root), "IRU_DATABASE_URL": "", "IRU_MEDIA_DIR": str(media)}
    result = CliRunner().invoke(cli, ["ingest", str(export)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    prepared = Hostile(root, media)
    ws = prepared.open()
    try:
        cases, auth, now = CaseService(ws.database), AuthService(ws.database), datetime.now(UTC)
        for name, role in (("root", Role.ADMIN), ("anna", Role.ANALYST)):
            actor = cases.principal("root") if name != "root" else None
            cases.add_user(actor, name, role, "DE", now, contact="DE desk")
            auth.set_password(cases.principal("root"), name, PASSWORD, now)
    finally:
        ws.close()
    return prepared


@pytest.fixture
def client(hostile: Hostile) -> Iterator[tuple[TestClient, str]]:
    ws = hostile.open()
    try:
        with TestClient(create_app(ws), raise_server_exceptions=False) as test_client:
            answer = test_client.post(
                "/login",
                data={"name": "anna", "password": PASSWORD, "next": "/queue"},
                follow_redirects=False,
            )
            assert answer.status_code == 303, answer.text
            found = re.search(r'"X-CSRF-Token": "([^"]+)"', test_client.get("/queue").text)
            assert found
            yield test_client, found.group(1)
    finally:
        ws.close()


# -- the one URL -> local media mapping -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://x//etc/passwd",
        "https://x/../secret-outside.txt",
        "https://x/a/../../secret-outside.txt",
        "../secret-outside.txt",
        "/etc/passwd",
        "https://x/link-out.jpg",  # a link inside that leads out
        "https://x/\x00.jpg",
        "https://x/" + "a" * 5000,
        "https://x/" + "é/" * 3000,
        "",
        "://",
    ],
)
def test_no_url_maps_outside_the_media_folder(hostile: Hostile, url: str) -> None:
    assert local_file(hostile.media, url) is None
    assert file_in(hostile.media, url.split("://", 1)[-1]) is None


def test_urls_of_held_files_map_inside(hostile: Hostile) -> None:
    found = local_file(hostile.media, "https://pbs.example/profile/ok.jpg?x=1")
    assert found is not None and found.is_relative_to(hostile.media)
    assert file_in(hostile.media, "profile/ok.jpg") == found
    assert file_in(hostile.media, "profile/../profile/ok.jpg") is None


# -- the account page and API ---------------------------------------------------------------


def test_the_account_page_and_api_show_only_media_inside(client: tuple[TestClient, str]) -> None:
    http, _ = client
    page = http.get(f"/accounts/twitter/{PROBE}")
    assert page.status_code == 200, page.text[:300]
    assert "/media/.." not in page.text and "passwd" not in page.text
    assert 'src="/media/media/shown.jpg"' in page.text
    api = http.get(f"/api/v1/accounts/twitter/{PROBE}")
    assert api.status_code == 200
    account = api.json()["account"]
    assert account["profile_image_url"] is None  # its file lies outside: no link at all
    shown = [m["url"] for p in api.json()["posts"] for m in p["media"]]
    assert shown == ["/media/media/shown.jpg"]
    plain = http.get(f"/api/v1/accounts/twitter/{PLAIN}").json()["account"]
    assert plain["profile_image_url"] == "/media/profile/ok.jpg"
    assert http.get("/media/profile/ok.jpg").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media/%00",
        "/media/a%00b.jpg",
        "/media/" + "a" * 5000,
        "/media/" + "%C3%A9" * 3000,
        "/media/%2e%2e/secret-outside.txt",
        "/media/%2e%2e%2fsecret-outside.txt",
        "/media//etc/passwd",
        "/media/link-out.jpg",
        "/media/no-such-file.jpg",
        "/media/profile",
    ],
)
def test_media_paths_answer_4xx_and_never_tell_existence(
    client: tuple[TestClient, str], path: str
) -> None:
    http, _ = client
    answer = http.get(path)
    assert answer.status_code in (400, 404), (path, answer.status_code)
    assert "not for the web" not in answer.text
    if answer.status_code == 404:  # an outside file that exists reads as a missing one
        assert "no such media file" in answer.text


# -- bounded numbers and clear messages -----------------------------------------------------


def test_numbers_out_of_range_are_422_naming_the_parameter(
    client: tuple[TestClient, str],
) -> None:
    http, _ = client
    for path, name in (
        (f"/api/v1/cases/{BIG}", "case_id"),
        ("/api/v1/cases/0", "case_id"),
        ("/api/v1/cases/-4", "case_id"),
        ("/api/v1/cases/abc", "case_id"),
        ("/api/v1/queue?page=0", "page"),
        (f"/api/v1/queue?page={BIG}", "page"),
        (f"/api/v1/audit?page={BIG}", "page"),
        (f"/api/v1/deadlines?warn_minutes={BIG}", "warn_minutes"),
        ("/api/v1/deadlines?warn_minutes=-1", "warn_minutes"),
    ):
        answer = http.get(path)
        assert answer.status_code == 422, (path, answer.status_code, answer.text[:200])
        body = answer.json()
        assert body["error"].startswith("invalid request:") and name in body["error"], body
        assert body["detail"] and BIG not in answer.text  # the value is not echoed
    page = http.get(f"/cases/{BIG}")
    assert page.status_code == 422 and "case_id" in page.text and "<html" in page.text
    assert http.get(f"/queue?page={BIG}").status_code == 422
    assert http.get(f"/queue/rows?page={BIG}", headers={"HX-Request": "true"}).status_code == 422


def test_the_page_forms_hold_days_is_bounded(client: tuple[TestClient, str]) -> None:
    http, csrf = client
    url = f"/accounts/twitter/{PLAIN}/decide"
    for days in (BIG, "1000000000", "0", "-3", "soon"):
        form = {"decision": "hold", "reason": "op", "hold_days": days}
        answer = http.post(url, data=form, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 422, (days, answer.status_code)
        assert "hold_days" in answer.text
    api = http.post(
        f"/api/v1/accounts/twitter/{PLAIN}/decisions",
        json={"decision": "hold", "reason": "op", "hold_days": int(BIG)},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422 and "hold_days" in api.json()["error"]


def test_nul_characters_anywhere_are_400(client: tuple[TestClient, str]) -> None:
    http, csrf = client
    headers = {"X-CSRF-Token": csrf}
    for answer in (
        http.get("/accounts/twitter/%00"),
        http.get("/api/v1/audit?subject=a%00b"),
        http.get("/api/v1/queue?platform=%00"),
        http.post(f"/accounts/twitter/{PLAIN}/decide", headers=headers,
                  data={"decision": "dismiss", "reason": "a\x00b"}),
        http.post(f"/api/v1/accounts/twitter/{PLAIN}/decisions", headers=headers,
                  json={"decision": "dismiss", "reason": "a\x00b"}),
    ):  # fmt: skip
        assert answer.status_code == 400, answer.text[:200]
        assert "NUL" in answer.text
    # An escaped backslash followed by "u0000" is text, not a NUL: it goes through.
    fine = http.post(
        "/api/v1/network/what-if",
        content=b'{"accounts": ["twitter:\\\\u0000"]}',
        headers={**headers, "content-type": "application/json"},
    )
    assert fine.status_code < 500 and "NUL" not in fine.text


def test_a_hostile_parameter_set_never_gets_a_500(client: tuple[TestClient, str]) -> None:
    http, csrf = client
    values = ["", "%00", "a" * 5000, BIG, "-1", "../../etc/passwd", "%2e%2e%2f", "é", "<x>"]
    templates = [
        "/accounts/twitter/{v}",
        "/api/v1/accounts/twitter/{v}",
        "/api/v1/accounts/{v}/{v}/graph",
        "/cases/{v}",
        "/api/v1/cases/{v}",
        "/referrals/{v}",
        "/api/v1/referrals/{v}",
        "/referrals/{v}/package.html",
        "/media/{v}",
        "/queue?page={v}&sort={v}&dir={v}&platform={v}",
        "/api/v1/queue?page={v}&sort={v}&dir={v}&language={v}",
        "/api/v1/referrals?status={v}",
        "/api/v1/deadlines?warn_minutes={v}",
        "/audit?page={v}&subject={v}",
    ]
    for template in templates:
        for value in values:
            path = template.replace("{v}", value if "%" in value else quote(value, safe=""))
            answer = http.get(path)
            assert answer.status_code < 500, (path[:120], answer.status_code)
    for value in values:
        answer = http.post(
            f"/accounts/twitter/{PLAIN}/decide",
            data={"decision": value, "reason": value, "hold_days": value},
            headers={"X-CSRF-Token": csrf},
        )
        assert 400 <= answer.status_code < 500, (value[:40], answer.status_code)


# -- callbacks ------------------------------------------------------------------------------


def test_a_non_ascii_signature_header_is_401(hostile: Hostile) -> None:
    ws = hostile.open()
    try:
        app = callback_app(ws.referral_service(), "s3cret", lambda: datetime.now(UTC))
        with TestClient(app, raise_server_exceptions=False) as http:
            body = b'{"ticket": "T-1", "event": {"seq": 1, "status": "received"}}'
            for given in ("sha256=é".encode(), b"sha256=\xff\xfe", "sha256=✓".encode()):
                answer = http.post("/callbacks/twitter", content=body,
                                   headers={SIGNATURE_HEADER: given})  # fmt: skip
                assert answer.status_code == 401, answer.text
                assert "signature" in answer.json()["error"]
            for hostile_body in (
                b'{"ticket": "T-1", "event": {"seq": 1e999, "status": "x", "at": "2024"}}',
                b'{"ticket": "T-1", "event": {"seq": ' + BIG.encode() + b', "status": "x", '
                b'"at": "2024-01-01T00:00:00Z"}}',
                b"[" * 100_000,
            ):
                answer = http.post("/callbacks/twitter", content=hostile_body,
                                   headers={SIGNATURE_HEADER: signature("s3cret", hostile_body)})  # fmt: skip
                assert answer.status_code == 400, answer.text[:200]
                assert "not a callback" in answer.json()["error"]
    finally:
        ws.close()


# -- the API docs page ---------------------------------------------------------------------


def test_api_docs_come_from_vendored_files_with_their_script_hashed(
    client: tuple[TestClient, str],
) -> None:
    http, _ = client
    page = http.get("/api/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "/static/vendor/swagger-ui-bundle.js" in page.text
    policy = page.headers["content-security-policy"]
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+'", policy), policy
    assert "unsafe-inline" not in policy
    assert http.get("/static/vendor/swagger-ui-bundle.js").status_code == 200
    assert http.get("/static/vendor/swagger-ui.css").status_code == 200
    assert http.get("/redoc").status_code == 404  # no CDN-backed ReDoc either


def test_the_openapi_document_lists_only_the_json_api(client: tuple[TestClient, str]) -> None:
    http, _ = client
    paths = http.get("/api/openapi.json").json()["paths"]
    assert paths and all(p.startswith(("/api/", "/callbacks/")) for p in paths), sorted(paths)
    assert "/api/v1/cases/{case_id}" in paths
