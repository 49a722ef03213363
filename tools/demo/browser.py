"""The HTML report checked as a person sees it: opened in a real headless Chromium (Debian's `chromium`), its
console errors and failed loads collected, every chart measured (drawn means a visible box with at least one mark
of positive size), and a screenshot of the whole page written next to the report.

Chromium is driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`: JSON messages ending in
a NUL byte on file descriptors 3 and 4), so nothing listens on a port and nothing beyond the browser is needed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from shared.i18n import _

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--remote-debugging-pipe", "--hide-scrollbars")
CHARTS = """(() => [...document.querySelectorAll('svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('rect, path, circle, line, polyline')].filter(m => {
    const b = m.getBBox(); return b.width > 0 && b.height > 0; }).length;
  return {label: svg.getAttribute('aria-label') || '', width: box.width, height: box.height, marks: marks};
}))()"""
SIZE = "JSON.stringify([document.documentElement.scrollWidth, document.documentElement.scrollHeight])"


class BrowserMissing(RuntimeError):
    """No Chromium on this machine (Debian: apt-get install -y chromium)."""


@dataclass(frozen=True)
class Chart:
    label: str
    width: float
    height: float
    marks: int

    @property
    def drawn(self) -> bool:
        return self.width > 0 and self.height > 0 and self.marks > 0


@dataclass
class PageCheck:
    """What the browser saw: console errors and exceptions, every chart, and where the screenshot went."""

    url: str
    errors: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def undrawn(self) -> list[Chart]:
        return [c for c in self.charts if not c.drawn]

    def summary(self) -> str:
        drawn = len(self.charts) - len(self.undrawn)
        return _("{drawn} of {charts} charts drawn, {errors} console errors, screenshot {screenshot}").format(
            drawn=drawn, charts=len(self.charts), errors=len(self.errors), screenshot=self.screenshot)


def find_chromium() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing("no Chromium found (looked for " + ", ".join(CANDIDATES) + "); on Debian: "
                         "apt-get install -y chromium")


class _DevTools:
    """One Chromium process and its DevTools pipe: commands out, answers and events in."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: the protocol's descriptors are 3 (in) and 4 (out)
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=wire, pass_fds=(3, 4))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._out: BinaryIO = os.fdopen(self._to_browser, "wb", buffering=0)
        self._in: BinaryIO = os.fdopen(self._from_browser, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)
        raise TimeoutError(f"{method}: no answer from Chromium in {timeout:.0f}s")

    def wait_for(self, method: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if not select.select([self._in], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = self._in.read(65536)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):  # it may be gone already
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()
        self._in.close()


def check_page(path: Path, screenshot: Path | None = None, binary: str | None = None) -> PageCheck:
    """Open `path` in headless Chromium with a fresh profile; what it saw, and a full-page screenshot (by default
    next to the page, `<name>.png`)."""
    url = path.resolve().as_uri()
    check = PageCheck(url)
    with tempfile.TemporaryDirectory(prefix="report-browser-") as profile:
        tools = _DevTools(binary or find_chromium(), Path(profile))
        try:
            [page] = [t for t in tools.send("Target.getTargets")["targetInfos"] if t["type"] == "page"]
            session = tools.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                tools.send(f"{domain}.enable", session=session)
            tools.events.clear()
            tools.send("Page.navigate", {"url": url}, session=session)
            tools.wait_for("Page.loadEventFired")
            charts = _evaluate(tools, session, CHARTS)
            width, height = json.loads(_evaluate(tools, session, SIZE))
            shot = tools.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session=session)
            check.errors = _errors(tools.events)
        finally:
            tools.close()
    check.charts = [Chart(c["label"], float(c["width"]), float(c["height"]), int(c["marks"])) for c in charts]
    check.screenshot = screenshot or path.with_suffix(".png")
    check.screenshot.write_bytes(base64.b64decode(shot["data"]))
    return check


def _evaluate(tools: _DevTools, session: str, expression: str) -> Any:
    answer = tools.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
    if "exceptionDetails" in answer:
        raise RuntimeError(f"the page's check failed: {answer['exceptionDetails']}")
    return answer["result"]["value"]


def _errors(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions and failed loads the page reported."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            found.append("exception: " + str(details.get("exception", {}).get("description", details.get("text"))))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}".strip())
    return found
