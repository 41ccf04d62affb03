"""Writing one script's section of bench/RESULTS.md: the text between its own begin and end
markers is replaced (appended the first time), the file written next to it and renamed, so
that a run stopped midway leaves the old file whole."""
import os


def write_section(path, name, markdown):
    """Replaces the section `name` (its markers <!-- name: begin/end -->) of the file at path."""
    begin, end = f"<!-- {name}: begin -->\n", f"<!-- {name}: end -->\n"
    document = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n"
    block = begin + markdown + end
    if begin in document and end in document:
        document = document[:document.index(begin)] + block + document[document.index(end) + len(end):]
    else:
        document += block
    with open(path + ".tmp", "w") as f:
        f.write(document)
    os.replace(path + ".tmp", path)
