"""Compiles the numba graph kernels once per ``pytest -n`` run, while the workers collect.

The kernels in :mod:`iru.network` are compiled on first call and kept on disk
(``cache=True``, in ``src/iru/network/__pycache__``). On a clean clone (CI) each xdist
worker met them uncompiled and compiled them itself — 30 to 50 s of CPU each, the same
work twice, both racing to write the cache. Now the controlling process starts one
compile (:func:`warm`, in a subprocess) as the workers start, and holds back the first
tests until it is done; the workers then load the machine code from the cache (about a
second). Where the cache is already warm, that subprocess takes a second or two and
finishes while the workers are still collecting. Runs without xdist compile on first use,
once, as before. ``python tests/numba_warm.py`` warms the cache by hand.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

__all__ = ["start", "stop", "wait", "warm"]

_STARTED: dict[str, Any] = {}


def _graph() -> Any:
    """Two 5-cliques joined through a node, and a tail: every strategy has work to do."""
    import numpy as np

    from iru.network.dismantle import Graph

    edges = [(a, b) for a in range(5) for b in range(a + 1, 5)]
    edges += [(a + 5, b + 5) for a, b in edges]
    edges += [(4, 10), (10, 5), (9, 11), (11, 12)]
    return Graph.from_edges(13, np.asarray(edges, dtype=np.int64))


def _inputs() -> Any:
    """Account 0 reposted by 1 and 2, account 3 by 1: a reach greedy with choices."""
    import numpy as np
    import scipy.sparse as sp

    from iru.network.reach import ReachInputs

    n = 4
    pair = sp.csr_matrix(
        (np.array([5.0, 5.0, 5.0]), (np.array([1, 2, 1]), np.array([0, 0, 3]))), shape=(n, n)
    )
    return ReachInputs(
        keys=[("sim", f"a{i}") for i in range(n)],
        exposure=np.array([10.0, 5.0, 5.0, 3.0]),
        posts=np.array([2, 0, 0, 1], dtype=np.int64),
        reposts=np.array([0, 2, 1, 0], dtype=np.int64),
        own_total=np.array([30.0, 0.0, 0.0, 8.0]),
        pair=pair,
        edges=np.array([[1, 0], [2, 0], [1, 3]], dtype=np.int64),
        weights=np.ones(3),
        supporter=np.zeros(n, dtype=bool),
    )


def warm() -> None:
    """Calls every dismantling and ranking strategy once (compiling the kernels they use)."""
    from iru.network.dismantle import STRATEGIES as DISMANTLING
    from iru.network.dismantle import dismantle
    from iru.network.strategies import STRATEGIES as RANKING
    from iru.network.strategies import rank

    graph = _graph()
    for strategy in DISMANTLING:
        dismantle(graph, 0.2, strategy=strategy)
        dismantle(graph, 0.2, strategy=strategy, budget=1)
    inputs = _inputs()
    for strategy in RANKING:
        rank(inputs, 2, strategy=strategy)


def start() -> None:
    """Starts :func:`warm` in a subprocess (once; not without numba or with JIT off)."""
    if _STARTED or os.environ.get("IRU_NETWORK_NO_JIT"):
        return
    if importlib.util.find_spec("numba") is None:
        return
    _STARTED["process"] = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _STARTED["at"] = time.perf_counter()


def wait(config: pytest.Config, timeout: float = 600.0) -> None:
    """Waits for the compile started by :func:`start` (once); says so if it failed."""
    process: subprocess.Popen[bytes] | None = _STARTED.pop("process", None)
    if process is None:
        return
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    seconds = time.perf_counter() - _STARTED["at"]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    if process.returncode == 0:
        reporter.write_line(f"numba kernels compiled or loaded once in {seconds:.1f}s")
    else:
        tail = err.decode(errors="replace").strip().splitlines()[-1:]
        reporter.write_line(f"numba warm-up failed ({tail}); workers compile on first use")


def stop() -> None:
    """Ends a warm-up still running (an interrupted run)."""
    process: subprocess.Popen[bytes] | None = _STARTED.pop("process", None)
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()


if __name__ == "__main__":
    warm()
