#!/usr/bin/python3
"""Helpers for tests/e2e/status_page.sh.

dom: reads the DOM Chromium dumped (stdin) and prints what a reader sees, one line each, so the
shell test can compare it with values taken from the golden files:
  title: T / h1: T / h2: T / p: T / alert: T (div.alert) / info: T (p.info)
  row HEAD: cell | cell | ...   (HEAD is the first column heading of the row's table)
  dl: TERM = VALUE
  link: HREF
  element NAME                  (script, iframe, object, embed, form, ... anywhere)
  attr NAME                     (any on* event handler attribute, javascript: URL)
Whitespace runs become one space and no-break spaces plain spaces.

png FILE: prints "WIDTHxHEIGHT" of a PNG screenshot after checking its signature and that its
image data inflates.
"""
import html.parser
import re
import struct
import sys
import zlib

ACTIVE = {"script", "iframe", "object", "embed", "form", "frame", "applet", "base"}


def norm(text):
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.text = None  # collecting text for the current block element
        self.block = None
        self.row = None
        self.cell = None
        self.head = None  # first heading of the current table
        self.in_thead = False
        self.dt = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.out.append("attr " + name)
        if tag in ACTIVE:
            self.out.append("element " + tag)
        a = dict(attrs)
        if tag == "a":
            self.out.append("link: " + a.get("href", ""))
        if tag in ("title", "h1", "h2", "p", "dt", "dd") or (
            tag == "div" and "alert" in (a.get("class") or "").split()
        ):
            kind = tag
            if tag == "div":
                kind = "alert"
            elif tag == "p" and "info" in (a.get("class") or "").split():
                kind = "info"
            self.block, self.text = kind, []
        elif tag == "table":
            self.head = None
        elif tag == "thead":
            self.in_thead = True
        elif tag == "tr" and not self.in_thead:
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            text = norm("".join(self.cell))
            if tag == "th" and self.head is None:
                self.head = text
            if tag == "td" and self.row is not None:
                self.row.append(text)
            self.cell = None
        elif tag == "thead":
            self.in_thead = False
        elif tag == "tr" and self.row is not None:
            self.out.append("row %s: %s" % (self.head, " | ".join(self.row)))
            self.row = None
        elif self.block is not None and (tag == self.block or (tag == "div" and self.block == "alert")
                                         or (tag == "p" and self.block == "info")):
            text = norm("".join(self.text))
            if self.block == "dt":
                self.dt = text
            elif self.block == "dd":
                self.out.append("dl: %s = %s" % (self.dt, text))
            else:
                self.out.append("%s: %s" % (self.block, text))
            self.block, self.text = None, None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.text is not None:
            self.text.append(data)


def png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        print("not a PNG")
        return 1
    pos, idat, size = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    zlib.decompress(idat)
    print("%dx%d" % size)
    return 0


def main():
    if sys.argv[1:2] == ["png"]:
        return png(sys.argv[2])
    p = Page()
    p.feed(sys.stdin.read())
    p.close()
    print("\n".join(p.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
