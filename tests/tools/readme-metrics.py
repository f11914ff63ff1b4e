#!/usr/bin/env python3
"""Rewrites the metric reference between the markers in README.md with metrics-doc.sh's table."""
import os
import subprocess

here = os.path.dirname(os.path.abspath(__file__))
readme = os.path.join(here, "..", "..", "README.md")
table = subprocess.run(["sh", os.path.join(here, "metrics-doc.sh")], check=True,
                       capture_output=True, text=True).stdout
text = open(readme).read()
begin, end = "<!-- metrics:begin -->\n", "<!-- metrics:end -->"
a, b = text.index(begin) + len(begin), text.index(end)
open(readme, "w").write(text[:a] + table + text[b:])
