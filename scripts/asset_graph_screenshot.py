"""Regenerate docs/img/asset-graph.png: the Dagster UI's asset graph, as a browser shows it.

Why a script: the picture in the docs must be the real UI on a real instance, and it goes stale
whenever the graph changes. It starts the Dagster webserver (the one `make dev` runs) on a data dir
that `make demo` filled, opens the global asset graph in a headless Chromium (Debian's `chromium`
package; no browser download), waits until the graph has drawn every asset the API lists and their
statuses have settled, and writes the PNG through the DevTools protocol.

    .venv/bin/python scripts/asset_graph_screenshot.py                      # var/ (after `make demo`)
    .venv/bin/python scripts/asset_graph_screenshot.py --data-dir /tmp/x/var  # another data dir
    .venv/bin/python scripts/asset_graph_screenshot.py --dagster-home DIR     # an instance as it is

Only the docs need Chromium: the tests query the same webserver through GraphQL without a browser.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

from listening_pipeline.webserver import REPO, Webserver, running_webserver

DEFAULT_OUT = REPO / "docs" / "img" / "asset-graph.png"
GRAPH_PATH = "/asset-groups"  # the UI's global asset lineage
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MAX_ZOOM_OUTS = 12
CLIP_MARGIN = 24  # CSS pixels of the page kept around the graph
SETTLE_POLLS = 4  # the graph must look the same this many polls in a row (0.5 s apart) before the shot

# The UI keeps its per-browser choices in localStorage; this fresh profile says "community invitation
# dismissed" so no dialog covers the graph (the instance's own record of it stays untouched).
BEFORE_THE_APP = "localStorage.setItem('communityNux', JSON.stringify('1'));"
ASSET_NAMES = "query { assetNodes { assetKey { path } groupName } }"
# What the page shows: asset names drawn, and whether anything still says it is loading.
PAGE_STATE = """(() => {
  const text = document.body ? document.body.innerText : "";
  const spinners = document.querySelectorAll('[role="progressbar"], [class*="Spinner"]').length;
  return JSON.stringify({text, spinners, svgs: document.querySelectorAll("svg").length});
})()"""


# The graph's window (the largest svg) and the box around everything drawn in it: [left, top, right, bottom].
GRAPH_BOXES = """(() => {
  const svgs = [...document.querySelectorAll("svg")];
  const area = (r) => r.width * r.height;
  const view = svgs.map(s => s.getBoundingClientRect()).sort((a, b) => area(b) - area(a))[0];
  const boxes = [...document.querySelectorAll("foreignObject")].map(f => f.getBoundingClientRect());
  const graph = [Math.min(...boxes.map(b => b.left)), Math.min(...boxes.map(b => b.top)),
                 Math.max(...boxes.map(b => b.right)), Math.max(...boxes.map(b => b.bottom))];
  return JSON.stringify([[view.left, view.top, view.right, view.bottom], graph]);
})()"""


class DevTools:
    """A tiny DevTools-protocol client for one page: numbered commands, answers matched by id."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")


def find_browser(explicit: str | None) -> str:
    for name in (explicit,) if explicit else BROWSERS:
        path = shutil.which(name) if name else None
        if path:
            return path
    raise SystemExit("no Chromium found: install Debian's package (apt-get install chromium) or pass --browser PATH")


@contextlib.contextmanager
def headless_browser(binary: str, url: str, width: int, height: int, scale: float) -> Iterator[DevTools]:
    """Chromium showing ``url``, with DevTools on a port it picks itself (read from DevToolsActivePort)."""
    with tempfile.TemporaryDirectory(prefix="lp-chromium-") as profile:
        args = [
            binary,
            "--headless=new",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            *(["--no-sandbox"] if os.geteuid() == 0 else []),  # Chromium refuses its sandbox as root
            "about:blank",
        ]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not port_file.exists() or not port_file.read_text().strip():
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
                    raise SystemExit(f"Chromium did not start: {error}")
                time.sleep(0.2)
            port = port_file.read_text().split()[0]
            targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            pages = [target for target in targets if target["type"] == "page"]
            with connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30) as socket:
                tools = DevTools(socket)
                tools.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=scale,
                    mobile=False,
                )
                tools.call("Page.enable")
                tools.call("Page.addScriptToEvaluateOnNewDocument", source=BEFORE_THE_APP)
                tools.call("Page.navigate", url=url)
                yield tools
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_graph(tools: DevTools, labels: list[str], drawn_js: str, timeout_s: float, out: Path) -> None:
    """Until every label shows, ``drawn_js`` is true, nothing spins and the page text stops changing; on a
    timeout what the page showed goes to ``<out>.failed.png`` for a look."""
    deadline = time.monotonic() + timeout_s
    last, same, missing = "", 0, labels
    while time.monotonic() < deadline:
        state = json.loads(tools.evaluate(PAGE_STATE) or "{}")
        text = state.get("text", "")
        missing = [label for label in labels if label not in text]
        ready = not missing and not state.get("spinners") and bool(tools.evaluate(drawn_js))
        same = same + 1 if (ready and text == last) else 0
        if same >= SETTLE_POLLS:
            return
        last = text
        time.sleep(0.5)
    failed = out.with_suffix(".failed.png")
    failed.write_bytes(base64.b64decode(tools.call("Page.captureScreenshot", format="png")["data"]))
    raise SystemExit(
        f"the asset graph did not finish drawing within {timeout_s:.0f} s (missing: {missing[:10]}); "
        f"the page as it was: {failed}; its text begins: {last[:300]!r}"
    )


def click(tools: DevTools, icon: str) -> None:
    """Click the UI's button showing this icon (the UI names its icons in aria-label)."""
    tools.evaluate(f"document.querySelector('button [aria-label=\"{icon}\"]')?.closest('button')?.click()")


def expand_every_group(tools: DevTools) -> None:
    """The global graph opens with every group collapsed beside the navigation: open every group with the
    UI's own shortcut (Alt+E), hide the navigation, and reload so the graph is laid out afresh. The UI
    remembers these choices in the profile's localStorage, thrown away afterwards."""
    key = {"key": "e", "code": "KeyE", "windowsVirtualKeyCode": 69, "modifiers": 1}  # 1: Alt
    tools.call("Input.dispatchKeyEvent", type="keyDown", **key)
    tools.call("Input.dispatchKeyEvent", type="keyUp", **key)
    click(tools, "panel_show_right")  # "Hide navigation"
    time.sleep(1)
    tools.call("Page.reload")
    time.sleep(2)


def fit_graph(tools: DevTools, every_node_drawn: str) -> None:
    """Hide the asset tree beside the graph and zoom out until every node is drawn (the UI draws only
    the nodes inside the window)."""
    click(tools, "panel_show_right")  # the asset tree's toggle, beside "Jump to..."
    for _ in range(MAX_ZOOM_OUTS):
        time.sleep(1)
        if tools.evaluate(every_node_drawn):
            return
        click(tools, "zoom_out")


def graph_clip(tools: DevTools) -> dict[str, float]:
    """The part of the page the graph covers, with a margin, kept inside the graph's window."""
    view, graph = json.loads(tools.evaluate(GRAPH_BOXES))
    left, top = max(view[0], graph[0] - CLIP_MARGIN), max(view[1], graph[1] - CLIP_MARGIN)
    right, bottom = min(view[2], graph[2] + CLIP_MARGIN), min(view[3], graph[3] + CLIP_MARGIN)
    return {"x": left, "y": top, "width": right - left, "height": bottom - top, "scale": 1}


def screenshot(
    server: Webserver, out: Path, browser: str, width: int, height: int, scale: float, timeout_s: float
) -> None:
    nodes = server.graphql(ASSET_NAMES)["assetNodes"]
    groups = sorted({node["groupName"] for node in nodes})
    every_node_drawn = (
        f"document.querySelectorAll('foreignObject [class*=\"AssetNode_assetName\"]').length >= {len(nodes)}"
    )
    with headless_browser(browser, server.url + GRAPH_PATH, width, height, scale) as tools:
        wait_for_graph(tools, groups, "true", timeout_s, out)
        expand_every_group(tools)
        wait_for_graph(tools, groups, "true", timeout_s, out)
        fit_graph(tools, every_node_drawn)
        wait_for_graph(tools, groups, every_node_drawn, timeout_s, out)
        clip = graph_clip(tools)
        png = base64.b64decode(tools.call("Page.captureScreenshot", format="png", clip=clip)["data"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)
    print(f"wrote {out} ({len(png) // 1024} KiB, {len(nodes)} assets in {len(groups)} groups drawn)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data-dir", type=Path, default=REPO / "var", help="a data dir `make demo` filled (var/)")
    source.add_argument("--dagster-home", type=Path, help="use this DAGSTER_HOME and the current environment")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--browser", help="Chromium binary (default: chromium on PATH)")
    parser.add_argument("--width", type=int, default=2400)
    parser.add_argument("--height", type=int, default=1400)
    parser.add_argument("--scale", type=float, default=1.5, help="device pixels per CSS pixel (sharper text)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the graph to draw")
    args = parser.parse_args(argv)

    browser = find_browser(args.browser)
    env = dict(os.environ)
    if args.dagster_home:
        home = args.dagster_home.resolve()
    else:
        env["LISTENING_PIPELINE_DATA_DIR"] = str(args.data_dir.resolve())
        home = args.data_dir.resolve() / "dagster_home"
    if not (home / "dagster.yaml").exists():
        raise SystemExit(f"{home} holds no Dagster instance: run `make demo` first, or pass --dagster-home")
    env["DAGSTER_HOME"] = str(home)
    with running_webserver(env) as server:
        screenshot(server, args.out.resolve(), browser, args.width, args.height, args.scale, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
