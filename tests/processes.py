"""Start ``kratom-monitor`` as a real process and read what it prints."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "kratom-monitor"


class Monitor:
    """A running ``kratom-monitor`` process; stdout and stderr are collected in threads."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("KM_")}
        full_env.update(env)
        self.process = subprocess.Popen(
            [str(SCRIPT), *args], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        streams = ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))
        self.pumps = [
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            for stream, sink in streams
        ]
        for pump in self.pumps:
            pump.start()

    def _pump(self, stream: object, sink: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.append(line)
            self.lines.put(line)

    def wait_for(self, prefix: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.stdout):
                if line.startswith(prefix):
                    return line.strip()
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"no line starting {prefix!r}; stderr:\n{''.join(self.stderr)[-3000:]}"
        )

    def base_url(self) -> str:
        line = self.wait_for("web: ")
        return line.split()[1].rstrip("/")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """Kill if still running, then close the pipes once their readers hit EOF."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pump in self.pumps:
            pump.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
