"""benchmd - write one generated section of BENCHMARKS.md.

A benchmark script owns the text between its BEGIN and END markers and
rewrites it on each run; what stands around it (method, notes) is written
by hand and kept. The first run appends the section with its intro.
"""
import os


def write_section(path, begin, end, text, intro, name):
    """Replace begin..end in path with text (which holds both markers), or
    append intro and text when the markers are not there yet; atomically."""
    old = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    if begin in old and end in old:
        a = old.index(begin)
        b = old.index(end) + len(end)
        new = old[:a] + text + old[b:]
    else:
        new = old.rstrip("\n") + "\n\n" + "\n".join(intro) + text + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)
    print("wrote the %s section of %s" % (name, path))
