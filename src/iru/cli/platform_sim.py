"""``iru platform-sim serve``: play the platforms' notice APIs over HTTP, from the simulator."""

from __future__ import annotations

import socket

import click
import uvicorn

from iru.cli.common import IruError
from iru.engine.lab.platforms import SimulatedPlatforms


@click.group(name="platform-sim")
def platform_sim() -> None:
    """Simulated platforms that answer iru's notices (notice protocol v1)."""


@platform_sim.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    required=True,
    help="Port to listen on (0 picks a free one; the line printed names it).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of every decision.")
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="How much faster than real time platforms act: 3600 makes a planned hour last one"
    " second. Reported times stay real UTC times.",
)
@click.option(
    "--fail-rate",
    type=click.FloatRange(min=0, max=1),
    default=0.0,
    show_default=True,
    help="Share of POSTs answered 503 with Retry-After: 0, to exercise retries.",
)
@click.option(
    "--callback-secret",
    envvar="IRU_CALLBACK_SECRET",
    help="Shared secret to sign callbacks (X-Iru-Signature) [env IRU_CALLBACK_SECRET].",
)
def serve(
    *,
    host: str,
    port: int,
    seed: int,
    time_scale: float,
    fail_rate: float,
    callback_secret: str | None,
) -> None:
    """Serve the notice API on HOST:PORT until interrupted."""
    platforms = SimulatedPlatforms(
        seed=seed, time_scale=time_scale, fail_rate=fail_rate, callback_secret=callback_secret
    )
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        raise IruError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1) from exc
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    names = ", ".join(platforms.names)
    click.echo(f"platform-sim listening on http://{shown}:{bound} (platforms: {names})")
    server = uvicorn.Server(uvicorn.Config(platforms.app(), log_level="warning", access_log=False))
    with sock:
        server.run(sockets=[sock])
