#!/usr/bin/env python3
"""Lints the Grafana dashboards in dashboards/ against exporter-conventions section 10.

Usage: dashboard-lint.py [--no-promtool] [--readme README.md] DASHBOARD.json...

Each DASHBOARD.json may have a DASHBOARD.lint beside it: one exception a line,
    <rule> "<panel title>" [<refId>] reason: <why>
where <rule> is a rule name printed in a finding (e.g. unit, empty-ok) and "empty-ok" marks a
target that may return no data (read by tests/e2e/dashboard.sh). '#' starts a comment.
Prints one line per finding, "FILE: panel N "TITLE" [ref]: rule: message", and exits 1 when
there is any; exits 0 otherwise. Standard library only; the PromQL syntax check runs promtool.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PANEL_KINDS_NEEDING_UNIT = {"stat", "graph", "table", "timeseries", "gauge", "bargauge", "state-timeline",
                            "status-history", "heatmap", "piechart"}
NO_QUERY_KINDS = {"row", "text", "news", "dashlist"}
RATE_FUNCS = {"rate", "irate", "increase"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "atan2", "inf", "nan", "start", "end"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
                "quantile"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
DS_REF = {"type": "prometheus", "uid": "${datasource}"}
# Metrics Prometheus adds itself; any other name must be documented in README.md.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
# Grafana macros and the values the local checks give them.
MACROS = [("$__rate_interval", "5m"), ("${__rate_interval}", "5m"), ("$__interval", "5m"), ("${__interval}", "5m"),
          ("$__range", "5m"), ("${__range}", "5m")]
UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{[A-Za-z_][A-Za-z0-9_:.]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9]+)
  | (?P<num>0x[0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?(?:ms|[smhdwy])?(?:[0-9]+(?:ms|[smhdwy]))*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){}\[\],:@])
""", re.VERBOSE)


def tokenize(expr):
    """Returns a list of (kind, text), or raises ValueError on an unknown character."""
    out = []
    pos = 0
    while pos < len(expr):
        m = TOKEN_RE.match(expr, pos)
        if not m:
            raise ValueError("cannot tokenize at %r" % expr[pos:pos + 20])
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group()))
        pos = m.end()
    return out


def matching(tokens, i, open_, close):
    """Index of the token closing the bracket at tokens[i]."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j][1] == open_:
            depth += 1
        elif tokens[j][1] == close:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced %s" % open_)


def selectors(expr):
    """Yields (metric, matchers_text or None, enclosing_function or None, range_text or None, direct)
    for every metric selector in expr; direct means the selector is the whole argument of the function."""
    toks = tokenize(expr)
    skip = set()
    # grouping label lists: by (...), on (...), group_left (...)
    for i, (k, t) in enumerate(toks):
        if k == "ident" and t in GROUPING and i + 1 < len(toks) and toks[i + 1][1] == "(":
            j = matching(toks, i + 1, "(", ")")
            skip.update(range(i + 1, j + 1))
    i = 0
    while i < len(toks):
        k, t = toks[i]
        if i in skip:
            i += 1
            continue
        if t == "{":
            # a selector without a metric name
            j = matching(toks, i, "{", "}")
            yield (None, expr_text(toks[i:j + 1]), None, None, False)
            i = j + 1
            continue
        if k == "ident" and t not in KEYWORDS:
            nxt = toks[i + 1][1] if i + 1 < len(toks) else None
            if nxt == "(" or t in AGGREGATIONS:  # function call or aggregation
                i += 1
                continue
            matchers = None
            j = i
            if nxt == "{":
                j = matching(toks, i + 1, "{", "}")
                matchers = expr_text(toks[i + 1:j + 1])
            rng = None
            end = j
            if end + 1 < len(toks) and toks[end + 1][1] == "[":
                e = matching(toks, end + 1, "[", "]")
                rng = expr_text(toks[end + 2:e])
                end = e
            func = None
            direct = False
            if i >= 2 and toks[i - 1][1] == "(" and toks[i - 2][0] == "ident":
                func = toks[i - 2][1]
                direct = end + 1 < len(toks) and toks[end + 1][1] == ")"
            yield (t, matchers, func, rng, direct)
            i = end + 1
            continue
        i += 1


def expr_text(toks):
    return " ".join(t for _, t in toks)


def rate_ranges(expr):
    """Yields (function, range text) for every rate/irate/increase call."""
    toks = tokenize(expr)
    for i, (k, t) in enumerate(toks):
        if k == "ident" and t in RATE_FUNCS and i + 1 < len(toks) and toks[i + 1][1] == "(":
            j = matching(toks, i + 1, "(", ")")
            inner = toks[i + 2:j]
            rng = None
            # the range of the outermost [ ] directly inside the call (last one before ')')
            if inner and inner[-1][1] == "]":
                depth = 0
                for x in range(len(inner) - 1, -1, -1):
                    if inner[x][1] == "]":
                        depth += 1
                    elif inner[x][1] == "[":
                        depth -= 1
                        if depth == 0:
                            rng = expr_text(inner[x + 1:-1])
                            break
            yield (t, rng)


def has_matcher(matchers, label, value):
    if matchers is None:
        return False
    return re.search(r'(?:^|[{,])\s*%s\s*=~\s*"%s"\s*(?=[,}])' % (label, re.escape(value)), matchers) is not None


def readme_metrics(path):
    """Metric names in README.md's metric table, the paragraph after it and the Watchdog section."""
    text = open(path, encoding="utf-8").read()
    names = set()
    m = re.search(r"<!-- metrics:begin -->(.*?)<!-- metrics:end -->(.*?)\n## ", text, re.S)
    if m:
        names.update(re.findall(r"^\| `([a-z_:][a-z0-9_:]*)` \|", m.group(1), re.M))
        names.update(re.findall(r"`([a-z_:][a-z0-9_:]*)(?:\{[^`]*\})?`", m.group(2)))
    w = re.search(r"^## Watchdog\n(.*?)(?=^### |^## )", text, re.S | re.M)
    if w:
        names.update(re.findall(r"`(gpu_sriov_[a-z0-9_]+)(?:\{[^`]*\})?`", w.group(1)))
    return names


def load_exceptions(path, titles, findings):
    """{(rule, title, refId or None): reason}; malformed lines are findings."""
    exc = {}
    if not os.path.exists(path):
        return exc
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-z-]+)\s+"([^"]+)"(?:\s+([A-Za-z0-9_]+))?\s+reason:\s*(\S.*)$', line)
        if not m:
            findings.append("%s:%d: lint-file: expected '<rule> \"<panel title>\" [refId] reason: <why>'" % (path, n))
            continue
        rule, title, ref, reason = m.groups()
        if title not in titles:
            findings.append("%s:%d: lint-file: no panel titled %r" % (path, n, title))
        exc[(rule, title, ref)] = reason
    return exc


def all_panels(panels):
    for p in panels:
        yield p
        for q in p.get("panels", []) or []:
            yield q


def substitute(expr):
    for k, v in MACROS:
        expr = expr.replace(k, v)
    for v in ("job", "instance"):
        expr = expr.replace("${%s}" % v, ".+").replace("$" + v, ".+")
    return expr


def lint(path, readme, use_promtool):
    findings = []
    try:
        d = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as e:
        return ["%s: json: %s" % (path, e)]

    def dash(rule, msg):
        findings.append("%s: %s: %s" % (path, rule, msg))

    uid = d.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        dash("uid", "uid must be a fixed string of 1-40 characters [A-Za-z0-9_-], got %r" % (uid,))
    if d.get("id") is not None:
        dash("id", "id must be null")
    for key in ("title", "tags", "time", "refresh", "templating", "annotations", "links", "panels", "graphTooltip"):
        if key not in d:
            dash("model", "missing %r" % key)
    if d.get("editable") is not False:
        dash("model", "editable must be false")
    sv = d.get("schemaVersion")
    if not isinstance(sv, int) or not 39 <= sv <= 41:
        dash("model", "schemaVersion %r not in 39..41" % (sv,))
    if "__inputs" in d or "${DS_" in json.dumps(d):
        dash("datasource", "no __inputs / ${DS_...}: use the datasource variable")

    tvars = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    dsv = tvars.get("datasource")
    if not dsv or dsv.get("type") != "datasource" or dsv.get("query") != "prometheus" or dsv.get("label") != "Data source":
        dash("variables", "need variable 'datasource' (type datasource, query prometheus, label \"Data source\")")
    for name, label in (("job", "Job"), ("instance", "Instance")):
        v = tvars.get(name)
        if not v:
            dash("variables", "missing variable %r" % name)
            continue
        want = {"type": "query", "label": label, "multi": True, "allValue": ".+", "refresh": 2}
        for k, val in want.items():
            if v.get(k) != val:
                dash("variables", "variable %r: %s must be %r, got %r" % (name, k, val, v.get(k)))
        if v.get("datasource") != DS_REF:
            dash("variables", "variable %r: datasource must be %s" % (name, json.dumps(DS_REF)))

    panels = list(all_panels(d.get("panels", [])))
    titles = {p.get("title") for p in panels}
    lint_path = os.path.splitext(path)[0] + ".lint"
    exc = load_exceptions(lint_path, titles, findings)
    used = set()
    known = readme_metrics(readme) | SYNTHETIC
    if len(known) < 20:
        dash("readme", "found only %d metric names in %s" % (len(known), readme))
    ids = {}
    exprs = []

    for p in panels:
        title = p.get("title") or ""
        kind = p.get("type")
        where = '%s: panel %s "%s"' % (path, p.get("id"), title)

        def excepted(rule, ref=None):
            for key in ((rule, title, ref), (rule, title, None)):
                if key in exc:
                    used.add(key)
                    return True
            return False

        def find(rule, msg, ref=None):
            if not excepted(rule, ref):
                findings.append("%s%s: %s: %s" % (where, " " + ref if ref else "", rule, msg))

        pid_ = p.get("id")
        if not isinstance(pid_, int):
            find("ids", "id must be an integer")
        elif pid_ in ids:
            find("ids", "duplicate panel id %d (also %r)" % (pid_, ids[pid_]))
        else:
            ids[pid_] = title
        gp = p.get("gridPos")
        if not isinstance(gp, dict) or not all(isinstance(gp.get(k), int) for k in ("h", "w", "x", "y")):
            find("gridpos", "gridPos with integer h, w, x, y required")
        if not title.strip():
            find("title", "panel needs a title")
        if kind in NO_QUERY_KINDS:
            continue
        if not (p.get("description") or "").strip():
            find("description", "panel needs a description")
        if p.get("datasource") != DS_REF:
            find("datasource", "panel datasource must be %s" % json.dumps(DS_REF))
        defaults = (p.get("fieldConfig") or {}).get("defaults") or {}
        if kind in PANEL_KINDS_NEEDING_UNIT and not defaults.get("unit") and not defaults.get("mappings"):
            find("unit", "fieldConfig.defaults.unit required (or value mappings)")
        targets = p.get("targets") or []
        if not targets:
            find("targets", "panel needs at least one target")
        refs = set()
        for t in targets:
            ref = t.get("refId") or "?"
            if ref in refs:
                find("targets", "duplicate refId", ref)
            refs.add(ref)
            if t.get("datasource") != DS_REF:
                find("datasource", "target datasource must be %s" % json.dumps(DS_REF), ref)
            expr = t.get("expr") or ""
            if not expr.strip():
                find("targets", "empty expr", ref)
                continue
            exprs.append((where + " " + ref, expr))
            try:
                sels = list(selectors(expr))
                rates = list(rate_ranges(expr))
            except ValueError as e:
                find("promql", str(e), ref)
                continue
            if not sels:
                find("selector", "expression selects no metric", ref)
            for metric, matchers, func, rng, direct in sels:
                if metric is None:
                    find("selector", "selector without a metric name: %s" % matchers, ref)
                    continue
                if metric not in known:
                    find("metric-name", "%s is not in README.md's metric reference" % metric, ref)
                if not (has_matcher(matchers, "job", "$job") and has_matcher(matchers, "instance", "$instance")):
                    find("selector", '%s needs {job=~"$job", instance=~"$instance"}' % metric, ref)
                if metric.endswith("_total") and not (func in RATE_FUNCS and direct and rng is not None):
                    find("counter", "%s may appear only directly inside rate/irate/increase" % metric, ref)
            for func, rng in rates:
                if rng != "$__rate_interval":
                    find("rate-interval", "%s() must use [$__rate_interval], got [%s]" % (func, rng), ref)

    for key, reason in exc.items():
        if key not in used and key[0] != "empty-ok":
            findings.append("%s: lint-file: unused exception %s \"%s\" %s" % (lint_path, key[0], key[1], key[2] or ""))
        if key[0] == "empty-ok":
            p = [q for q in panels if q.get("title") == key[1]]
            if p and key[2] and key[2] not in {t.get("refId") for t in p[0].get("targets", [])}:
                findings.append("%s: lint-file: panel \"%s\" has no target %s" % (lint_path, key[1], key[2]))

    if use_promtool and exprs:
        findings.extend(promtool_check(path, exprs))
    return findings


def promtool_check(path, exprs):
    """Runs promtool check rules on every expression (macros substituted) as a recording rule."""
    promtool = shutil.which("promtool")
    if not promtool:
        return ["%s: promql: promtool not found (apt-get install prometheus)" % path]
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (where, expr) in enumerate(exprs):
            rf = os.path.join(tmp, "r%d.yml" % n)
            rule = {"groups": [{"name": "dashboard", "rules": [{"record": "dashboard:expr:%d" % n,
                                                                 "expr": substitute(expr)}]}]}
            with open(rf, "w", encoding="utf-8") as f:
                json.dump(rule, f)  # JSON is YAML
            r = subprocess.run([promtool, "check", "rules", rf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True)
            if r.returncode != 0:
                msg = " ".join(l.strip() for l in r.stdout.splitlines() if l.strip() and "Checking" not in l)
                findings.append("%s: promql: %s" % (where, msg))
    return findings


def main(argv):
    use_promtool = True
    readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
    files = []
    args = iter(argv)
    for a in args:
        if a == "--no-promtool":
            use_promtool = False
        elif a == "--readme":
            readme = next(args)
        else:
            files.append(a)
    if not files:
        print("usage: dashboard-lint.py [--no-promtool] [--readme README.md] DASHBOARD.json...", file=sys.stderr)
        return 2
    findings = []
    for f in files:
        findings.extend(lint(f, readme, use_promtool))
    for line in findings:
        print(line)
    print("dashboard-lint: %d file(s), %d finding(s)" % (len(files), len(findings)), file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
