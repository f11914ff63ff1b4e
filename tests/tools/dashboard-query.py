#!/usr/bin/env python3
"""Runs every panel target of a Grafana dashboard against a Prometheus and reports the ones that
return no data (tests/e2e/dashboard.sh).

Usage: dashboard-query.py PROMETHEUS_URL DASHBOARD.json
Grafana variables are replaced: $job and $instance by .+, $__rate_interval (and $__interval,
$__range) by 30s. A target that returns no data fails unless DASHBOARD.lint has a line
    empty-ok "<panel title>" [refId] reason: <why>
Prints "ok|FAIL|empty-ok <panel> <ref>: ..." per target and "dashboard: N passed, N failed".
"""
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

MACROS = [("${__rate_interval}", "30s"), ("$__rate_interval", "30s"), ("${__interval}", "30s"),
          ("$__interval", "30s"), ("${__range}", "30s"), ("$__range", "30s")]


def substitute(expr):
    for k, v in MACROS:
        expr = expr.replace(k, v)
    for v in ("job", "instance"):
        expr = expr.replace("${%s}" % v, ".+").replace("$" + v, ".+")
    return expr


def empty_ok(lint_path):
    ok = {}
    if os.path.exists(lint_path):
        for line in open(lint_path, encoding="utf-8"):
            m = re.match(r'^empty-ok\s+"([^"]+)"(?:\s+([A-Za-z0-9_]+))?\s+reason:\s*(\S.*)$', line.strip())
            if m:
                ok[(m.group(1), m.group(2))] = m.group(3)
    return ok


def query(url, expr):
    q = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen("%s/api/v1/query?%s" % (url, q), timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(body.get("error", "query failed"))
    res = body["data"]["result"]
    return len(res) if isinstance(res, list) else 1


def main(url, path):
    d = json.load(open(path, encoding="utf-8"))
    ok = empty_ok(os.path.splitext(path)[0] + ".lint")
    passed = failed = 0
    panels = []
    for p in d.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []) or [])
    for p in panels:
        for t in p.get("targets", []) or []:
            title, ref = p.get("title", ""), t.get("refId", "?")
            expr = substitute(t.get("expr", ""))
            name = '"%s" %s' % (title, ref)
            try:
                n = query(url, expr)
            except (urllib.error.URLError, RuntimeError, ValueError, OSError) as e:
                msg = e.read().decode(errors="replace") if isinstance(e, urllib.error.HTTPError) else str(e)
                print("FAIL %s: error %s: %s" % (name, msg.strip(), expr))
                failed += 1
                continue
            reason = ok.get((title, ref)) or ok.get((title, None))
            if n > 0:
                print("ok   %s: %d series" % (name, n))
                passed += 1
            elif reason:
                print("ok   %s: empty, allowed: %s" % (name, reason))
                passed += 1
            else:
                print("FAIL %s: no data: %s" % (name, expr))
                failed += 1
    print("dashboard: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2]))
