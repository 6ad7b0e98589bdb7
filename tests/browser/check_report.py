#!/usr/bin/env python3
"""Checks desk's HTML report as a person would see it, in headless Chromium.

  check_report.py REPORT.html [--out DIR] [--chromium PATH] [--period TEXT]
                  [--min-charts N] [--width PX] [--height PX] [--timeout S]

Opens REPORT.html (a file:// URL) in a headless Chromium driven over the
Chrome DevTools Protocol on a pipe (--remote-debugging-pipe: JSON messages,
each ended by a NUL byte, written to the browser's fd 3 and read from its
fd 4), with a new, empty profile. It fails when:

- the page makes any request other than its own file:// URL (an image, a
  font, a style sheet, a script from anywhere, a favicon, a prefetch);
- the page logs an error: console.error, an uncaught exception, or an error
  entry of the browser's log (a resource that failed to load, a blocked
  script, a bad stylesheet);
- the number of charts the browser shows differs from the number of <svg
  elements in the file, or is below --min-charts. A chart is an <svg> with
  role="img" whose aria-labelledby names a non-empty <title> inside it, laid
  out with a non-zero size and with something drawn in it;
- --period is given and neither the page's title nor its header names it.

It looks once the page has loaded and the network has been idle for half a
second (so that a request made after load is seen too). Then it saves
DIR/NAME.png, a screenshot of a --width x --height viewport (1000 x 1800),
and DIR/NAME.pdf, the page printed on A4, and checks that both are files of
their kind (signature, size, pages) with something in them: the screenshot
must compress worse than one of a blank page. DIR is the report's folder
unless --out says otherwise; NAME is the report's name without .html.

It prints one line of what it found and exits 0, or prints every failure
and exits 1 (2 for bad arguments). The whole run is bounded by --timeout
(60 s): a browser that hangs fails the check instead of hanging the caller.
Python 3.8 or later, standard library only.

--chromium is the browser to run (default: $DESK_TEST_CHROMIUM, else
chromium on PATH).
"""

import argparse
import base64
import json
import os
import pathlib
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# The flags the browser runs with: headless, no sandbox (a container's root
# has none to give), and nothing that would talk to the network on its own
# (updates, sync, safe browsing lists, QUIC probes), so that any request is
# the page's.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]

# What the page shows, read in the page after it loaded.
INSPECT = r"""
(() => {
  const text = (el) => (el ? el.textContent.replace(/\s+/g, " ").trim() : "");
  const svgs = Array.from(document.querySelectorAll("svg"));
  const charts = [];
  const bad = [];
  for (const svg of svgs) {
    const id = svg.getAttribute("aria-labelledby");
    const title = id ? document.getElementById(id) : null;
    const box = svg.getBoundingClientRect();
    const marks = svg.querySelectorAll("rect, path, circle, line, polyline, polygon").length;
    const name = text(title);
    const why = [];
    if (svg.getAttribute("role") !== "img") why.push("no role=img");
    if (!title || title.tagName.toLowerCase() !== "title" || title.parentNode !== svg)
      why.push("aria-labelledby names no <title> of its own");
    else if (!name) why.push("an empty <title>");
    if (!(box.width > 0 && box.height > 0)) why.push("not laid out (zero size)");
    if (!marks) why.push("nothing drawn");
    if (why.length) bad.push((name || id || "an <svg>") + ": " + why.join(", "));
    else charts.push(name);
  }
  return {
    title: document.title,
    header: text(document.querySelector("header")) || text(document.querySelector("h1")),
    lang: document.documentElement.lang,
    svgs: svgs.length,
    charts: charts,
    bad: bad,
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
  };
})()
"""


class Failed(Exception):
    """The check cannot go on: the browser died, hung or refused."""


class Browser:
    """A headless Chromium on a DevTools pipe, in a session of its own."""

    def __init__(self, chromium, timeout):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.timed_out = False
        self.profile = tempfile.mkdtemp(prefix="desk-browser-")
        # fd 3: what the browser reads (our commands); fd 4: what it writes.
        to_browser, self.write_fd = os.pipe()
        self.read_fd, from_browser = os.pipe()

        def wire():
            # Out of the way of 3 and 4 first, so that neither dup2 clobbers
            # the other's source.
            import fcntl

            r = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.close(r)
            os.close(w)

        self.log = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [chromium, *FLAGS, "--user-data-dir=" + self.profile, "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=self.log,
                preexec_fn=wire,
                # Python's own descriptors are not inherited (PEP 446); 3
                # and 4, made by dup2 in wire(), are.
                close_fds=False,
                start_new_session=True,
            )
        except OSError as e:
            raise Failed(f"cannot run {chromium}: {e}")
        finally:
            os.close(to_browser)
            os.close(from_browser)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.timed_out = True
            raise Failed(
                f"timed out: the browser did not finish in {self.timeout:g} s" + self.tail()
            )
        return left

    def send(self, method, params=None, session=None):
        """Sends a command and returns its result; events that come before
        it are kept in self.events."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            select.select([], [self.write_fd], [], self.left())
            try:
                data = data[os.write(self.write_fd, data) :]
            except BrokenPipeError:
                raise Failed(
                    f"{method}: the browser closed its DevTools pipe (it crashed or quit)"
                    + self.tail()
                )
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise Failed(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self):
        """The next message from the browser."""
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.read_fd], [], [], self.left())
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise Failed(
                    "the browser closed its DevTools pipe (it crashed or quit)" + self.tail()
                )
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, done, since=0):
        """Reads events until done(event) is true for one of them (from
        self.events[since] on)."""
        for event in self.events[since:]:
            if done(event):
                return
        while True:
            event = self.receive()
            self.events.append(event)
            if done(event):
                return

    def settle(self, seconds):
        """Keeps reading events for a while (requests made after load)."""
        end = min(time.monotonic() + seconds, self.deadline)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if b"\0" not in self.buffer:
                ready, _, _ = select.select([self.read_fd], [], [], left)
                if not ready:
                    return
            self.events.append(self.receive())

    def tail(self):
        """The end of the browser's own output, for a failure's message."""
        try:
            self.log.seek(0)
            lines = self.log.read().decode(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return ("\nthe browser's last lines:\n  " + "\n  ".join(lines[-10:])) if lines else ""

    def close(self):
        try:
            if self.proc.poll() is None and not self.timed_out:
                try:
                    os.write(
                        self.write_fd,
                        json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0",
                    )
                    self.proc.wait(timeout=1)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        finally:
            # The browser's helpers (zygote, renderer, GPU) share its session.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            for fd in (self.read_fd, self.write_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)


def console_text(args):
    """The text of console.error(ARGS...) as DevTools sends its arguments."""
    parts = []
    for a in args:
        if "value" in a:
            parts.append(str(a["value"]))
        else:
            parts.append(a.get("description") or a.get("type", "?"))
    return " ".join(parts)


def check(report, out_dir, chromium, period, min_charts, width, height, timeout):
    """Returns (failures, summary)."""
    failures = []
    page_url = report.resolve().as_uri()
    stem = report.name[: -len(".html")] if report.name.endswith(".html") else report.name
    png_path = out_dir / (stem + ".png")
    pdf_path = out_dir / (stem + ".pdf")
    expected = len(re.findall(rb"<svg\b", report.read_bytes(), re.IGNORECASE))

    start = time.monotonic()
    browser = Browser(chromium, timeout)
    try:
        version = browser.send("Browser.getVersion").get("product", "?")
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Network", "Runtime", "Log", "Page"):
            browser.send(domain + ".enable", session=session)
        browser.send("Page.setLifecycleEventsEnabled", {"enabled": True}, session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        # What nothing drawn looks like, to compare the page's screenshot with.
        blank = base64.b64decode(
            browser.send("Page.captureScreenshot", {"format": "png", "clip": clip}, session)["data"]
        )
        seen = len(browser.events)
        nav = browser.send("Page.navigate", {"url": page_url}, session)
        if nav.get("errorText"):
            raise Failed(f"cannot open {page_url}: {nav['errorText']}")
        loader = nav.get("loaderId")

        def of_page(method):
            return lambda e: e.get("sessionId") == session and e.get("method") == method

        browser.wait_for(of_page("Page.loadEventFired"), seen)
        # Requests made after load (a lazy image, a timer's fetch) come
        # before the network is idle.
        browser.wait_for(
            lambda e: of_page("Page.lifecycleEvent")(e)
            and e["params"].get("name") == "networkIdle"
            and e["params"].get("loaderId") == loader,
            seen,
        )
        browser.settle(0.2)

        found = browser.send(
            "Runtime.evaluate", {"expression": INSPECT, "returnByValue": True}, session
        )
        if "exceptionDetails" in found:
            raise Failed("cannot read the page: " + json.dumps(found["exceptionDetails"])[:300])
        page = found["result"]["value"]

        shot = browser.send("Page.captureScreenshot", {"format": "png", "clip": clip}, session)
        pdf = browser.send(
            "Page.printToPDF",
            {
                "paperWidth": 8.27,
                "paperHeight": 11.69,
                "printBackground": True,
                "preferCSSPageSize": True,
            },
            session,
        )
        browser.settle(0.1)
    finally:
        browser.close()
    elapsed = time.monotonic() - start

    # What the page asked of the network and of the console, from the start
    # of the navigation on.
    requests, errors = [], []
    for e in browser.events[seen:]:
        if e.get("sessionId") != session:
            continue
        method, p = e.get("method"), e.get("params", {})
        if method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if url != page_url:
                requests.append(url)
        elif method == "Network.webSocketCreated":
            requests.append(p.get("url", "a WebSocket"))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console." + p["type"] + ": " + console_text(p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            errors.append(
                "uncaught exception: "
                + (d.get("exception", {}).get("description") or d.get("text", "?"))
            )
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            where = f" ({entry['url']})" if entry.get("url") else ""
            errors.append(f"log {entry.get('source', '?')}: {entry.get('text', '')}{where}")
    for url in requests:
        failures.append(f"the page made a network request: {url}")
    for text in errors:
        failures.append(f"the page logged an error: {text}")

    charts = page["charts"]
    for why in page["bad"]:
        failures.append(f"an <svg> that is not a chart as shown: {why}")
    if len(charts) != expected:
        failures.append(
            f"{len(charts)} charts shown with their titles, but the file has {expected} <svg> elements"
        )
    if len(charts) < min_charts:
        failures.append(f"{len(charts)} charts shown, fewer than the {min_charts} expected")
    if period and period not in page["title"] and period not in page["header"]:
        failures.append(
            f"neither the page's title ({page['title']!r}) nor its header ({page['header'][:120]!r}) names {period}"
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    png = base64.b64decode(shot["data"])
    pdf_bytes = base64.b64decode(pdf["data"])
    png_path.write_bytes(png)
    pdf_path.write_bytes(pdf_bytes)
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        failures.append(f"{png_path} is not a PNG image")
    else:
        w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        if (w, h) != (width, height):
            failures.append(f"{png_path} is {w}x{h}, not {width}x{height}")
        # A screenshot with nothing drawn compresses to a few bytes a row.
        if len(png) < 1.5 * len(blank):
            failures.append(
                f"{png_path} looks blank: {len(png)} bytes, a blank page's is {len(blank)}"
            )
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf_bytes))
    # An empty page prints to under a kilobyte.
    if not pdf_bytes.startswith(b"%PDF-") or b"%%EOF" not in pdf_bytes[-1024:] or pages < 1:
        failures.append(f"{pdf_path} is not a PDF ({len(pdf_bytes)} bytes)")
    elif len(pdf_bytes) < 2_000:
        failures.append(f"{pdf_path} looks empty: {len(pdf_bytes)} bytes, {pages} pages")

    summary = (
        f"{report}: {len(charts)} charts of {expected} <svg> shown with their titles, "
        f"no network request, no console error; title {page['title']!r} (lang {page['lang']}); "
        f"page {page['width']}x{page['height']} px; {png_path.name} {len(png) // 1024} KB, "
        f"{pdf_path.name} {len(pdf_bytes) // 1024} KB ({pages} A4 pages); "
        f"{version}, {elapsed:.1f} s"
    )
    return failures, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, help="where NAME.png and NAME.pdf go")
    parser.add_argument("--chromium", default=os.environ.get("DESK_TEST_CHROMIUM") or "chromium")
    parser.add_argument("--period", help="text the page's title or header must contain")
    parser.add_argument("--min-charts", type=int, default=0)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=1800)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    if not args.report.is_file():
        parser.error(f"{args.report} is not a file")
    try:
        failures, summary = check(
            args.report,
            args.out or args.report.resolve().parent,
            args.chromium,
            args.period,
            args.min_charts,
            args.width,
            args.height,
            args.timeout,
        )
    except Failed as e:
        print(f"check_report: {args.report}: {e}", file=sys.stderr)
        return 1
    if failures:
        for f in failures:
            print(f"check_report: {args.report}: {f}", file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
