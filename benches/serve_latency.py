#!/usr/bin/env python3
"""guidepost serve: latency from saving a file to the reload message reaching an open page.

What it measures
  `guidepost serve` runs on a COPY of a site (the copy is changed, never the original). A client
  connects to the preview's event stream (/__guidepost/events, server-sent events) as an open
  page does. Then, RUNS times, one channel file is saved with a changed step text, the way
  editors save (write a temporary file beside it, then rename it over the original), and the
  time from just before the save to the arrival of the `update` event that announces the
  re-rendered pages is taken. This is what a writer waits for before the browser starts to
  reload: the watcher's debounce (20 ms), reading and reloading the guide, rendering its pages
  and the event. Each save changes the text (alternating two versions), waits for its event,
  then pauses 150 ms so that saves do not merge.

  Also reported: the server's own rebuild time per save (from its log line "rebuilt N pages in
  X ms"), and the time of the first full build.

How to run
  benches/serve_latency.sh                       # the sample site and a 1,000-guide corpus
  python3 benches/serve_latency.py --site DIR [--file content/GUIDE/CHANNEL.md] [--runs 30]
      [--bin target/release/guidepost] [--save atomic|plain]
  Needs python3 (standard library only) and a built guidepost (cargo build --release).
  Only loopback traffic.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", required=True, help="site folder (copied first)")
    ap.add_argument("--file", help="channel file to change, relative to the site (default: the "
                    "web.md of the middle guide)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target",
                                                 "release", "guidepost"))
    ap.add_argument("--save", choices=["atomic", "plain"], default="atomic")
    ap.add_argument("--label", default=None)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="guidepost-serve-bench-")
    try:
        site = os.path.join(work, "site")
        shutil.copytree(args.site, site, ignore=shutil.ignore_patterns("public", "target", ".*"))
        rel = args.file or default_file(site)
        run(args, site, rel)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def default_file(site):
    guides = sorted(d for d in os.listdir(os.path.join(site, "content"))
                    if os.path.isdir(os.path.join(site, "content", d)))
    g = guides[len(guides) // 2]
    channels = sorted(f for f in os.listdir(os.path.join(site, "content", g))
                      if f.endswith(".md") and f != "_index.md")
    c = "web.md" if "web.md" in channels else channels[0]
    return f"content/{g}/{c}"


def run(args, site, rel):
    path = os.path.join(site, rel)
    server = subprocess.Popen(
        [args.bin, "serve", "--root", site, "--port", "0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=dict(os.environ, NO_COLOR="1"), text=True)
    lines = []
    ready = threading.Event()
    port = [None]

    def read_log():
        for line in server.stderr:
            lines.append(line.rstrip("\n"))
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m:
                port[0] = int(m.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=read_log, daemon=True).start()
    try:
        if not ready.wait(600) or port[0] is None:
            sys.exit("the server did not start:\n" + "\n".join(lines))
        built = next((l for l in lines if "built all" in l), "")
        events = Events(port[0])
        first = events.next()
        assert first["state"] == "ok", first
        generation = first["generation"]

        original = open(path, encoding="utf-8").read()
        m = re.search(r"^## .*$", original, re.M)
        if not m:
            sys.exit(f"{rel} has no step heading to change")
        heading = m.group(0)
        latencies = []
        for i in range(args.runs):
            text = original.replace(heading, heading + ("（已更新）" if i % 2 == 0 else ""), 1)
            t0 = time.perf_counter()
            save(path, text, args.save)
            while True:
                u = events.next()
                if u["state"] != "ok" or u["generation"] <= generation:
                    if u["state"] == "failed":
                        sys.exit(f"rebuild failed: {u['diagnostics'][:1]}")
                    continue
                break
            t1 = time.perf_counter()
            generation = u["generation"]
            page = rel[len("content/"):-len(".md")] + "/index.html"
            if u["pages"] is not None and page not in u["pages"]:
                sys.exit(f"{page} was not rendered again: {u['pages']}")
            latencies.append((t1 - t0) * 1000)
            time.sleep(0.15)
        save(path, original, args.save)
        time.sleep(0.3)
        rebuilds = [float(m.group(1)) for m in
                    (re.search(r"rebuilt \d+ pages? in (\d+(?:\.\d+)?) ms", l) for l in lines) if m]
        report(args.label or args.site, rel, built, latencies, rebuilds[-args.runs:])
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def save(path, text, how):
    if how == "plain":
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


class Events:
    """The preview's server-sent events, read over a raw HTTP/1.0 connection."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.sendall(b"GET /__guidepost/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        self.file = self.sock.makefile("r", encoding="utf-8", newline="\n")
        while self.file.readline().strip():
            pass  # response head

    def next(self):
        event = None
        while True:
            line = self.file.readline()
            if not line:
                sys.exit("the event stream ended")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "update":
                return json.loads(line[6:])


def report(label, rel, built, ms, rebuilds):
    ms_sorted = sorted(ms)
    p90 = ms_sorted[max(0, int(round(0.9 * len(ms_sorted))) - 1)]
    print(f"{label}")
    print(f"  first build:  {built.split('] ', 1)[-1]}")
    print(f"  changed file: {rel} ({len(ms)} saves)")
    print(f"  save -> reload message: median {statistics.median(ms):.1f} ms, "
          f"min {ms_sorted[0]:.1f}, p90 {p90:.1f}, max {ms_sorted[-1]:.1f}")
    if rebuilds:
        print(f"  of which rebuild (server log): median {statistics.median(rebuilds):.0f} ms, "
              f"max {max(rebuilds):.0f} ms")


if __name__ == "__main__":
    main()
