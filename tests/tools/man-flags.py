#!/usr/bin/env python3
"""Compares the flags a binary's --help prints with the OPTIONS section of its man page.

Usage: man-flags.py BINARY PAGE

Every flag line of --help ("  SPEC   description (default: X)") must have an item in the page's
OPTIONS section (".TP" and a tag line) with the same SPEC ("--web.listen-address=[HOST]:PORT",
"--[no-]once", "-h, --help"), and every item there must be a flag of --help: both directions,
so a flag added, renamed or removed on one side only fails. The item's text must state the same
default: "Default: X." for a value, "On by default." or "Off by default." for a switch (help's
"false", "enabled", "disabled"), and nothing when --help gives none.

Prints one line per difference and exits 1 when there is any; 0 otherwise.
"""
import re
import subprocess
import sys

FONT = re.compile(r"\\f(\[[^]]*\]|\(..|.)")


def unescape(text):
    """Text of a roff fragment: font changes dropped, the escapes this project's pages use
    turned into their characters."""
    text = FONT.sub("", text)
    for esc, ch in (("\\-", "-"), ("\\e", "\\"), ("\\~", " "), ("\\|", ""), ("\\&", ""),
                    ("\\(lq", '"'), ("\\(rq", '"'), ("\\(aq", "'"), ("\\(>=", ">=")):
        text = text.replace(esc, ch)
    return text


def macro_args(line):
    """The arguments of a macro line, quotes honoured."""
    args, cur, quoted, had = [], "", False, False
    for ch in line:
        if ch == '"':
            quoted, had = not quoted, True
        elif ch == " " and not quoted:
            if cur or had:
                args.append(cur)
            cur, had = "", False
        else:
            cur += ch
    if cur or had:
        args.append(cur)
    return args


def roff_text(line):
    """What a line of the page prints: font-alternating macros join their arguments without
    spaces (.BR, .BI, ...), .B and .I with spaces; other requests print nothing here."""
    if not line.startswith("."):
        return unescape(line)
    name, _, rest = line[1:].partition(" ")
    args = macro_args(rest)
    if name in ("BR", "RB", "BI", "IB", "IR", "RI"):
        return unescape("".join(args))
    if name in ("B", "I"):
        return unescape(" ".join(args))
    return ""


def page_options(path):
    """{spec: body text} of the OPTIONS section's .TP items."""
    items, spec, body, state = {}, None, [], "out"
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()

    def close():
        if spec is not None:
            if spec in items:
                problems.append(f"{path}: OPTIONS lists {spec} twice")
            items[spec] = " ".join(t for t in body if t)

    for line in lines:
        if line.startswith(".SH"):
            if state != "out":
                close()
                spec = None
            state = "options" if line.strip() == ".SH OPTIONS" else "out"
            continue
        if state == "out" or line.startswith('.\\"'):
            continue
        if line.startswith(".TP"):
            close()
            spec, body, state = None, [], "tag"
        elif state == "tag":
            spec, state = roff_text(line).strip(), "body"
        elif line.startswith((".SS", ".PP", ".P ", ".LP")) or line in (".P", ".LP"):
            close()
            spec, body, state = None, [], "options"
        elif state == "body":
            body.append(roff_text(line).strip())
    return items


def help_flags(binary):
    """{spec: default or None} from --help's flag lines."""
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
    flags = {}
    for line in out.splitlines():
        if not re.match(r"^  +-", line):
            continue
        spec, _, desc = line.strip().partition("  ")
        m = re.search(r"\(default: ([^)]*)\)\.?$", desc)
        flags[spec.strip()] = m.group(1) if m else None
    return flags


def page_default(body):
    m = re.search(r"(?:^|\. )Default: (\S+?)\.(?:\s|$)", body)
    if m:
        return m.group(1)
    if "On by default." in body:
        return "on"
    if "Off by default." in body:
        return "off"
    return None


def expected_default(value):
    return {"false": "off", "disabled": "off", "enabled": "on", "true": "on"}.get(value, value)


problems = []


def main():
    binary, page = sys.argv[1], sys.argv[2]
    helped = help_flags(binary)
    documented = page_options(page)
    if not helped:
        problems.append(f"{binary} --help printed no flags")
    prog = binary.rsplit("/", 1)[-1]
    for spec, default in helped.items():
        if spec not in documented:
            problems.append(f"{page}: OPTIONS lacks {spec} (in {prog} --help)")
            continue
        want, got = expected_default(default) if default else None, page_default(documented[spec])
        if want != got:
            problems.append(f"{page}: {spec}: default {got!r} in the page, {want!r} in --help")
    for spec in documented:
        if spec not in helped:
            problems.append(f"{page}: OPTIONS has {spec}, which {prog} --help does not print")
    for p in problems:
        print(p)
    print(f"{page}: {len(documented)} flags in OPTIONS, {len(helped)} in --help, "
          f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
