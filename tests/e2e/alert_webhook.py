#!/usr/bin/env python3
"""Alertmanager webhook receiver for tests: appends each POST body as one line to FILE.
Usage: alert_webhook.py PORTFILE FILE (listens on 127.0.0.1, a free port written to PORTFILE)."""
import http.server, json, sys

out = sys.argv[2]

class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "a") as f:
            f.write(json.dumps(json.loads(body)) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass

s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
