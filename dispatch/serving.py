"""``goldenhour serve [--workers N]``: N app processes on one port, and how each one stops.

Why several processes: one Python process uses one core, and the hub, the JSON encoding of
pushes and the request handling of a thousand GPS fixes a second all want it. Each worker is a
whole app (its own hub, pool and sockets); they already agree through PostgreSQL (the event log,
``seq`` in commit order) and Redis (pub/sub to every hub), exactly as separate servers did.

Why ``SO_REUSEPORT`` and not one shared listening socket (uvicorn's ``--workers``) or gunicorn:
each worker binds its own socket to the port and the kernel spreads new connections over them
by a hash of the client's address and port, so a thousand crew sockets opening at a shift change
land evenly, where a shared socket lets whichever worker wakes first take a burst. And no
gunicorn: one dependency fewer for the offline bundle, and the supervisor below is what it
would do for us (start N, restart one that dies, forward SIGTERM, wait, then kill).

The supervisor (this process, for N > 1):

- checks first that nobody listens on the port (a forgotten server with ``SO_REUSEPORT`` would
  otherwise silently share it), then starts the workers (``python -m dispatch.serving``) with
  ``PROMETHEUS_MULTIPROC_DIR`` set to a fresh folder, so any worker answers ``/metrics`` for all
  (``dispatch.api.metrics``);
- restarts a worker that exits on its own (after a crash, or a SIGTERM sent to that worker
  alone: a rolling restart is SIGTERM to one worker at a time), and gives up, stopping the
  others, when one dies within :data:`QUICK_EXIT_S` of its start :data:`QUICK_EXITS` times in a
  row (a wrong database URL must not become a fork loop);
- on SIGTERM or SIGINT sends SIGTERM to every worker, waits up to
  :data:`STOP_GRACE_S`, kills what is left, and exits 0.

A worker (and ``--workers 1``, which is one worker without a supervisor) stops gracefully: it
closes its listening socket first (new connections go to the other workers), marks itself not
ready (``/readyz`` 503), closes every WebSocket with 1012 "service restart" (the clients
reconnect at once and resume: a console with ``?since=``, so it misses nothing), lets HTTP
requests in flight finish, then shuts the app down (hub, pool, Redis).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger("goldenhour.serve")

#: A worker that exits this soon after it started, ...
QUICK_EXIT_S = 10.0
#: ... this many times in a row, stops the supervisor (it would never come up).
QUICK_EXITS = 3
#: How long workers get to finish after SIGTERM before they are killed.
STOP_GRACE_S = 30.0
#: Seconds a worker gives its connections (HTTP in flight, sockets closing) once it stops.
GRACEFUL_S = 10.0


class GracefulServer(uvicorn.Server):
    """uvicorn's server with the app's drain between "stop accepting" and "wait for
    connections": uvicorn alone would close each socket with a bare 1012 after the fact, and the
    app could not say it is no longer ready."""

    def __init__(self, config: uvicorn.Config, app: Any) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # new connections go to the other workers from now on
        for sock in sockets or []:
            sock.close()
        from dispatch.api.app import drain

        with contextlib.suppress(Exception):  # stopping must go on whatever the drain met
            await drain(self._app, wait_s=GRACEFUL_S / 2)
        await super().shutdown(sockets)


def bind(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` (not yet listening: asyncio listens on it)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def run_worker(
    *, host: str, port: int, log_level: str, reuse_port: bool, worker: int | None = None
) -> None:
    """Serve the app in this process until SIGTERM/SIGINT, then stop gracefully."""
    from dispatch.api import logs
    from dispatch.api.app import create_app

    logs.configure(log_level, worker=worker)
    app = create_app()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,  # dispatch.api.logs has configured logging: JSON lines, no tokens
        access_log=False,  # one line per request comes from dispatch.api.observe instead
        ws="websockets-sansio",
        timeout_graceful_shutdown=int(GRACEFUL_S),
    )
    try:
        sock = bind(host, port, reuse_port=reuse_port)
    except OSError as exc:  # the port is taken: say so in one line, not a traceback
        log.error("cannot listen on %s:%d: %s", host, port, exc)
        raise SystemExit(1) from None
    GracefulServer(config, app).run(sockets=[sock])


def port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound without ``SO_REUSEPORT`` (nobody listens on it)."""
    try:
        bind(host, port, reuse_port=False).close()
    except OSError:
        return False
    return True


def _die_with_parent() -> None:
    """In a worker, before exec: SIGTERM it when the supervisor dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Slot:
    """One worker place: its current process and how it has been dying."""

    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_exits: int = 0


@dataclass
class Supervisor:
    host: str
    port: int
    workers: int
    log_level: str = "info"
    slots: list[Slot] = field(default_factory=list)
    _stopping: bool = False
    _metrics_dir: Path | None = None

    def run(self) -> int:
        """Serve until told to stop; the exit status."""
        if not port_is_free(self.host, self.port):
            log.error("%s:%d is already in use", self.host, self.port)
            return 2
        env = self._environment()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)
        self.slots = [Slot(i) for i in range(self.workers)]
        try:
            for slot in self.slots:
                self._start(slot, env)
            log.info("%d workers on %s:%d", self.workers, self.host, self.port)
            while not self._stopping:
                time.sleep(0.2)
                for slot in self.slots:
                    if self._stopping or slot.proc is None or slot.proc.poll() is None:
                        continue
                    if not self._replace(slot, env):
                        return 1
            return 0
        finally:
            self._stop_all()
            if self._metrics_dir is not None:
                shutil.rmtree(self._metrics_dir, ignore_errors=True)

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        given = env.get("PROMETHEUS_MULTIPROC_DIR")
        if given:  # the operator's folder: emptied, as the library asks, but kept
            folder = Path(given)
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.db"):
                old.unlink()
        else:
            folder = self._metrics_dir = Path(tempfile.mkdtemp(prefix="goldenhour-metrics-"))
        env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
        return env

    def _start(self, slot: Slot, env: dict[str, str]) -> None:
        command = [
            sys.executable,
            "-m",
            "dispatch.serving",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--log-level",
            self.log_level,
            "--worker",
            str(slot.index),
        ]
        slot.proc = subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)
        slot.started = time.monotonic()

    def _replace(self, slot: Slot, env: dict[str, str]) -> bool:
        """Start a new worker in a slot whose process exited; False to give up."""
        assert slot.proc is not None
        from dispatch.api.metrics import mark_process_dead

        code, pid = slot.proc.returncode, slot.proc.pid
        mark_process_dead(pid)
        quick = time.monotonic() - slot.started < QUICK_EXIT_S
        slot.quick_exits = slot.quick_exits + 1 if quick else 0
        if slot.quick_exits >= QUICK_EXITS:
            log.error("worker %d keeps exiting at start (status %s); stopping", slot.index, code)
            return False
        log.warning("worker %d (pid %d) exited with %s; starting another", slot.index, pid, code)
        self._start(slot, env)
        return True

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_all(self) -> None:
        running = [s.proc for s in self.slots if s.proc is not None and s.proc.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error(
                    "worker pid %d did not stop in %.0f s; killing it", proc.pid, STOP_GRACE_S
                )
                proc.kill()
                proc.wait()


def serve(*, host: str, port: int, workers: int, log_level: str) -> int:
    """``goldenhour serve``: one worker in this process, or a supervisor of ``workers``."""
    if workers <= 1:
        run_worker(host=host, port=port, log_level=log_level, reuse_port=False)
        return 0
    from dispatch.api import logs

    logs.configure(log_level)
    return Supervisor(host, port, workers, log_level).run()


def _main(argv: list[str] | None = None) -> None:
    """A worker of the supervisor: ``python -m dispatch.serving --worker I ...``."""
    parser = argparse.ArgumentParser(description="one worker of goldenhour serve --workers N")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--worker", type=int, required=True)
    args = parser.parse_args(argv)
    run_worker(
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        reuse_port=True,
        worker=args.worker,
    )


if __name__ == "__main__":
    _main()
