"""Open a local HTML file in headless Chromium and report what a reader's browser would see.

Drives Debian's chromium through the DevTools protocol (a WebSocket), with the standard library
only: console errors, uncaught exceptions and failed loads are collected while the page loads;
then a script checks every image has decoded, and a full-page screenshot is taken.
"""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # tests may run as root, where the sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)


def chromium_path():
    """The chromium executable, or None when it is not installed."""
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )


class WebSocket:
    """The smallest WebSocket client the DevTools protocol needs (text frames, no extensions)."""

    def __init__(self, url, timeout=30):
        assert url.startswith("ws://"), url
        host_port, _, path = url[len("ws://") :].partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            response += chunk
        header, _, self.buffer = response.partition(b"\r\n\r\n")
        if b" 101 " not in header.split(b"\r\n")[0]:
            raise ConnectionError(f"WebSocket handshake refused: {header[:200]!r}")

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x81, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive(self):
        """The next text message (fragments joined); answers pings on the way."""
        message = b""
        while True:
            first, second = self._read(2)
            opcode, final = first & 0x0F, first & 0x80
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(length)
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            if opcode == 0x9:  # ping: answer with a masked pong
                mask = os.urandom(4)
                masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.sock.sendall(struct.pack("!BB", 0x8A, 0x80 | len(payload)) + mask + masked)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if final:
                    return message.decode()

    def close(self):
        self.sock.close()


class DevTools:
    """Commands and events of one page target."""

    def __init__(self, url):
        self.socket = WebSocket(url)
        self.next_id = 0
        self.events = []

    def call(self, method, timeout=60, **params):
        self.next_id += 1
        call_id = self.next_id
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.socket.receive())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(f"{method}: no answer in {timeout} s")

    def wait_for(self, event, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(e["method"] == event for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {event} in {timeout} s")
            self.events.append(json.loads(self.socket.receive()))

    def errors(self):
        """Console errors, uncaught exceptions and browser log errors (failed loads among them)."""
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled" and params["type"] in (
                "error",
                "assert",
            ):
                found.append(" ".join(str(a.get("value", a)) for a in params["args"]))
            elif event["method"] == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                found.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
        return found


# Waits for every image to decode, then reports each one's natural size and the document size.
IMAGE_CHECK = """
Promise.all([...document.images].map(img => img.decode().then(() => null, e => String(e))))
  .then(failures => ({
    images: [...document.images].map((img, i) => ({
      alt: img.alt, width: img.naturalWidth, height: img.naturalHeight,
      complete: img.complete, decode_error: failures[i]})),
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    title: document.title}))
"""


def open_page(html_path, workdir, screenshot, evaluate=(), width=1400, timeout=120):
    """Load `html_path` in headless Chromium; returns {"errors", "images", "title",
    "evaluated": [results of the `evaluate` expressions]} and writes a full-page PNG screenshot.

    The browser profile and its files live under `workdir`; the browser is stopped by its pid.
    """
    executable = chromium_path()
    if executable is None:
        raise FileNotFoundError("chromium is not installed")
    profile = Path(workdir) / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    # A profile used before holds the port of an earlier browser.
    (profile / "DevToolsActivePort").unlink(missing_ok=True)
    log = open(Path(workdir) / "chromium.log", "w")  # noqa: SIM115 (closed below)
    browser = subprocess.Popen(
        [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        port = _devtools_port(profile, browser, timeout)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        try:
            for domain in ("Page", "Runtime", "Log"):
                tools.call(f"{domain}.enable")
            tools.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=1000,
                deviceScaleFactor=1,
                mobile=False,
            )
            tools.call("Page.navigate", url=Path(html_path).resolve().as_uri())
            tools.wait_for("Page.loadEventFired", timeout)
            checked = _evaluate(tools, IMAGE_CHECK, timeout)
            evaluated = [_evaluate(tools, expression, timeout) for expression in evaluate]
            shot = tools.call(
                "Page.captureScreenshot",
                timeout,
                format="png",
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": width, "height": checked["height"], "scale": 1},
            )
            Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
            # Late events (a failed image load after onload) arrive before this answer.
            tools.call("Runtime.evaluate", expression="1")
            return {
                "errors": tools.errors(),
                "images": checked["images"],
                "title": checked["title"],
                "evaluated": evaluated,
            }
        finally:
            tools.socket.close()
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
        log.close()


def _evaluate(tools, expression, timeout):
    """Value of a JavaScript expression (awaited if a promise), as JSON-like Python data."""
    result = tools.call(
        "Runtime.evaluate", timeout, expression=expression, awaitPromise=True, returnByValue=True
    )
    if "exceptionDetails" in result:
        raise RuntimeError(f"script failed: {result['exceptionDetails']}")
    return result["result"].get("value")


def _devtools_port(profile, browser, timeout):
    """The port Chromium chose (--remote-debugging-port=0 writes it to DevToolsActivePort)."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.poll() is not None:
            raise RuntimeError(f"chromium exited with {browser.returncode} before it was ready")
        if marker.is_file():
            lines = marker.read_text().splitlines()
            if lines and lines[0].isdigit():
                return int(lines[0])
        time.sleep(0.1)
    raise TimeoutError(f"chromium did not open its DevTools port in {timeout} s")
