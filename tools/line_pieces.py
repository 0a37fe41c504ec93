"""Pieces of a text file cut at line starts: byte ranges found by reading only around the cuts, and what attn
counts as lines in a piece. Used by dask_classify.py, on the client (the cuts) and on the workers (reading and
counting a piece), so this module holds nothing but the standard library."""
import os

_CHUNK = 1 << 16


def line_start_at_or_after(f, offset, size):
    """The first line start at or after `offset` in the open binary file `f` of `size` bytes (size if none)."""
    if offset <= 0:
        return 0
    # offset is a line start when the byte before it ends a line; otherwise look for the next newline.
    f.seek(offset - 1)
    position = offset - 1
    while position < size:
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        newline = chunk.find(b"\n")
        if newline >= 0:
            return position + newline + 1
        position += len(chunk)
    return size


def piece_ranges(path, piece_bytes):
    """(start, end) byte ranges that cover the file at `path` in order, each starting at a line start and about
    `piece_bytes` long (longer when a line is); an empty file is one empty piece, so that it still gives what attn
    gives for one (a TSV header, an empty JSON array)."""
    if piece_bytes < 1:
        raise ValueError(f"piece size {piece_bytes}: must be at least 1 byte")
    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as f:
        while cuts[-1] < size:
            cuts.append(line_start_at_or_after(f, cuts[-1] + piece_bytes, size))
    if len(cuts) == 1:
        return [(0, 0)]
    return list(zip(cuts[:-1], cuts[1:]))


def read_range(path, start, end):
    """The bytes [start, end) of the file at `path`; an error names the file and the range when it has shrunk."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    if len(data) != end - start:
        raise OSError(f"{path}: bytes {start} to {end}: the file ends at {start + len(data)} (changed while read?)")
    return data


def count_lines(path, start, end):
    """How many lines attn reads in bytes [start, end) of `path`: one per newline, and a last line without one."""
    lines = 0
    last = b"\n"
    with open(path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            chunk = f.read(min(_CHUNK, left))
            if not chunk:
                raise OSError(f"{path}: bytes {start} to {end}: the file ends early (changed while read?)")
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            left -= len(chunk)
    return lines + (last != b"\n")


def first_line(path):
    """The first line of `path` with its newline (the header that every piece of a file with --header needs)."""
    with open(path, "rb") as f:
        return f.readline()
