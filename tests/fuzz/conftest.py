"""The fuzz tests' own workbench world, built once per session (see web_world.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from iru.web.app import create_app

from .web_world import FuzzWorld, Sessions, build_world, world_values


@pytest.fixture(scope="session")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> FuzzWorld:
    return build_world(tmp_path_factory.mktemp("fuzz-web"))


@pytest.fixture(scope="module")
def fuzz_app(fuzz_world: FuzzWorld) -> Iterator[tuple[TestClient, Sessions, dict[str, Any]]]:
    """An in-process client on the fuzz world, a session per role, and the world's values."""
    ws = fuzz_world.open()
    try:
        with TestClient(create_app(ws)) as client:
            sessions = Sessions(client, fuzz_world)
            yield client, sessions, world_values(client, fuzz_world)
    finally:
        ws.close()
