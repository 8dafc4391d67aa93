"""Run the real ``bd`` with stdout and/or stderr on a pseudo-terminal (the ``pty`` module)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path


class TTYResult:
    def __init__(self, returncode: int, tty: str, stdout: str, stderr: str) -> None:
        self.returncode, self.tty, self.stdout, self.stderr = returncode, tty, stdout, stderr


def run_tty(*args: str, cwd: str | os.PathLike[str] | Path, on: tuple[str, ...] = ("stdout",),
            env: dict[str, str] | None = None, input: str | None = None,
            unset: tuple[str, ...] = ("NO_COLOR",), timeout: float = 60) -> TTYResult:
    """Run ``bd ARGS``; the streams named in ``on`` go to one pseudo-terminal (its text is
    ``result.tty``), the others to pipes.  NO_COLOR (set for every test) is unset."""
    full_env = {k: v for k, v in os.environ.items() if k not in unset}
    full_env.update(env or {})
    full_env.setdefault("TERM", "xterm")
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def pump() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child side closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    streams = {name: (slave if name in on else subprocess.PIPE) for name in ("stdout", "stderr")}
    proc = subprocess.Popen([sys.executable, "-m", "bd", *args], cwd=cwd, env=full_env,
                            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=streams["stdout"], stderr=streams["stderr"])
    os.close(slave)
    out, err = proc.communicate(input.encode() if input is not None else None, timeout=timeout)
    reader.join(timeout=10)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return TTYResult(proc.returncode, text, (out or b"").decode(), (err or b"").decode())
