#!/usr/bin/env python3
"""Serves the hh-local web UI with the fixture API of testdata/, to develop and test the UI without
the hh-local binary. Python 3 standard library only; listens on 127.0.0.1 only.

Paths are the binary's: / -> index.html, /static/<file>, /api/... (the JSON API contract).

  dev_server.py [--port N] [--mode fixtures|empty|error|slow]

--port 0 (the default) picks a free port. The first line on stdout is the base URL, e.g.
"http://127.0.0.1:8765", so a script can start the server and read where it listens.
--mode empty answers as a collector that has received nothing; --mode error answers every /api
call with HTTP 500 (the UI's error state); --mode slow delays API answers by 1.5 s (loading state).
"""
import argparse
import json
import os
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WEB_DIR = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(WEB_DIR, "testdata")
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def load(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return json.load(f)


def int_param(query, name, default, maximum=None):
    try:
        value = int(query.get(name, [default])[0])
    except ValueError:
        return None
    if value < 0:
        return None
    return min(value, maximum) if maximum is not None else value


class Handler(BaseHTTPRequestHandler):
    mode = "fixtures"

    def log_message(self, fmt, *args):  # quiet unless asked
        if os.environ.get("HH_DEV_SERVER_LOG"):
            sys.stderr.write("dev_server: " + (fmt % args) + "\n")

    def send(self, status, body, content_type="application/json; charset=utf-8"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        if path == "/" or path == "/index.html":
            return self.file("index.html", "text/html; charset=utf-8")
        if path.startswith("/static/"):
            name = path[len("/static/"):]
            kind = STATIC_TYPES.get(os.path.splitext(name)[1])
            if kind and "/" not in name:
                return self.file(name, kind)
        if path.startswith("/api/"):
            if self.mode == "error":
                return self.send(500, {"error": "simulated failure (dev_server --mode error)"})
            if self.mode == "slow":
                time.sleep(1.5)
            return self.api(path, urllib.parse.parse_qs(url.query))
        return self.send(404, {"error": "not found: " + path})

    def file(self, name, content_type):
        try:
            with open(os.path.join(WEB_DIR, name), "rb") as f:
                return self.send(200, f.read(), content_type)
        except OSError:
            return self.send(404, {"error": "not found: " + name})

    def api(self, path, query):
        empty = self.mode == "empty"
        parts = path.split("/")[2:]  # "/api/sessions/x" -> ["sessions", "x"]
        if parts == ["health"]:
            return self.send(200, load("health.json"))
        if parts == ["projects"]:
            return self.send(200, {"projects": []} if empty else load("projects.json"))
        if parts == ["sessions"]:
            return self.sessions(query, empty)
        if parts == ["runs"]:
            return self.send(200, {"runs": []} if empty else load("runs.json"))
        if len(parts) == 2 and parts[0] in ("sessions", "runs") and parts[1] and not empty:
            name = ("session-%s.json" if parts[0] == "sessions" else "run-%s.json") % parts[1]
            if "/" not in parts[1] and os.path.exists(os.path.join(FIXTURES, name)):
                return self.send(200, load(name))
            return self.send(404, {"error": "unknown %s id: %s" % (parts[0][:-1], parts[1])})
        if len(parts) == 2 and parts[0] in ("sessions", "runs"):
            return self.send(404, {"error": "unknown %s id: %s" % (parts[0][:-1], parts[1])})
        return self.send(404, {"error": "unknown API path: " + path})

    def sessions(self, query, empty):
        limit = int_param(query, "limit", 100, 1000)
        offset = int_param(query, "offset", 0)
        if limit is None or offset is None:
            return self.send(400, {"error": "limit and offset must be non-negative integers"})
        rows = [] if empty else load("sessions.json")["sessions"]
        project = query.get("project", [""])[0]
        run_id = query.get("run_id", [""])[0]
        text = query.get("q", [""])[0].lower()
        if project:
            rows = [r for r in rows if r["project"] == project]
        if run_id:
            rows = [r for r in rows if r["run_id"] == run_id]
        if text:
            def matches(row):
                spans = load("session-%s.json" % row["session_id"])["spans"]
                return any(text in s["name"].lower() for s in spans)
            rows = [r for r in rows if matches(r)]
        return self.send(200, {"total": len(rows), "sessions": rows[offset:offset + limit]})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=["fixtures", "empty", "error", "slow"], default="fixtures")
    args = parser.parse_args()
    Handler.mode = args.mode
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("http://127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
