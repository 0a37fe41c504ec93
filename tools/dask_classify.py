#!/usr/bin/python3
"""attn classify over files spread on a Dask cluster: each file is cut into pieces at line starts, each piece is
classified by an attn process on a worker (named and numbered as in its file, through --stdin-name and
--stdin-first-line), and the records are written in input order, the same bytes as one `attn classify -i FILE...`
gives. Tasks are pure (a piece's bytes in, attn's output out), so a task that Dask runs again after a worker died
gives the same records: none lost, none twice. docs/scale-out.md has the recipe.

  /usr/bin/python3 tools/dask_classify.py --scheduler tcp://host:8786 -f jsonl -o out.jsonl big.txt -- -k 1 -t 1
"""
import argparse
import os
import subprocess
import sys
import tempfile

import line_pieces

EXIT_USAGE = 2
EXIT_IO = 4
EXIT_INPUT_ERRORS = 5
EXIT_BELOW_THRESHOLD = 6
EXIT_INTERRUPTED = 130

# attn classify options that this tool sets itself (inputs, outputs, how pieces are cut and joined) or that
# cannot be joined (the attention dump): refused after "--".
OWN_OPTIONS = ["--input", "--output", "--format", "--header", "--input-format", "--stdin-name", "--stdin-first-line",
               "--progress", "--attention"]
OWN_SHORT_OPTIONS = ["-i", "-o", "-f"]


def byte_count(text):
    """'8M' -> 8388608: a size with an optional K, M or G (powers of 1024)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    scale = units.get(text[-1:].upper(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit() or int(digits) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a positive number of bytes, optionally with K, M or G")
    return int(digits) * scale


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="dask_classify.py",
        usage="%(prog)s (--scheduler ADDRESS | --scheduler-file FILE) [options] FILE... [-- attn classify options]",
        description="attn classify over files, in pieces on the workers of a Dask cluster; the records in "
                    "input order, as one attn process writes them. Options after -- go to attn classify.",
        epilog="attn's exit codes: 0, or 5 when some lines got error records, 6 when some reached no --threshold; "
               "a piece that fails otherwise ends the run with attn's code and its message.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", metavar="ADDRESS", help="the scheduler, e.g. tcp://host:8786")
    where.add_argument("--scheduler-file", metavar="FILE", help="the file dask-scheduler --scheduler-file wrote")
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="text files, at the same path on every worker (shared storage)")
    parser.add_argument("--attn", default="attn", metavar="PATH",
                        help="the attn binary on the workers (default: attn, on their PATH)")
    parser.add_argument("-m", "--model", metavar="MODEL", help="attn --model on the workers (default: theirs)")
    parser.add_argument("-f", "--format", default="text", choices=["text", "json", "jsonl", "tsv"],
                        help="output format (default: text)")
    parser.add_argument("--input-format", default="lines", choices=["lines", "tsv", "jsonl"],
                        help="attn's --input-format (csv is refused: a quoted field may hold a newline, and pieces "
                             "are cut at newlines)")
    parser.add_argument("--header", action="store_true",
                        help="attn's --header: the first line of each file names the columns (every piece gets it)")
    parser.add_argument("-o", "--output", default="-", metavar="FILE",
                        help="the records, written whole or not at all (default: - for stdout)")
    parser.add_argument("--piece-size", type=byte_count, default=byte_count("8M"), metavar="BYTES",
                        help="bytes per piece, cut at the next line start (default: 8M; each piece pays one model "
                             "load)")
    # After "--", attn classify's options (e.g. -- -k 1 -t 1): split off here, argparse would take them for files.
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    extra = argv[cut + 1:]
    for word in extra:
        name = word.split("=", 1)[0]
        short = word[:2] if not word.startswith("--") else None
        if name in OWN_OPTIONS or short in OWN_SHORT_OPTIONS:
            parser.error(f"{word} after --: this tool sets it (use its own option, see --help), or it cannot be "
                         "joined over pieces")
    args.attn_arguments = extra
    if "-" in args.files:
        parser.error("- (stdin): the workers read the files themselves; give a file they can reach")
    return args


def classify_piece(command, data_path, start, end, header, name, first_line):
    """On a worker: attn over bytes [start, end) of the file (after `header`, the file's header line, for a piece
    that does not start the file), its records named `name` and numbered from `first_line`. Returns attn's exit
    code, stdout and stderr."""
    data = header + line_pieces.read_range(data_path, start, end)
    run = subprocess.run(command + ["--stdin-name", name, "--stdin-first-line", str(first_line)],
                         input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    return run.returncode, run.stdout, run.stderr


class Piece:
    """One piece of one input file: its name as given, the path the workers open, its byte range."""

    def __init__(self, name, path, start, end):
        self.name, self.path, self.start, self.end = name, path, start, end
        self.first_line = None  # known once the pieces before it are counted


def pieces_of(files, piece_bytes):
    pieces = []
    for name in files:
        path = os.path.abspath(name)
        try:
            ranges = line_pieces.piece_ranges(path, piece_bytes)
        except OSError as e:
            print(f"dask_classify.py: {name}: cannot read ({e.strerror or e})", file=sys.stderr)
            sys.exit(EXIT_IO)
        pieces += [Piece(name, path, start, end) for start, end in ranges]
    return pieces


def number_lines(client, pieces):
    """Sets each piece's first line number: its lines are counted on the workers (the client reads no piece)."""
    counts = client.gather(client.map(line_pieces.count_lines, [p.path for p in pieces], [p.start for p in pieces],
                                      [p.end for p in pieces]))
    line = {}
    for piece, count in zip(pieces, counts):
        piece.first_line = line.get(piece.path, 0) + 1
        line[piece.path] = piece.first_line - 1 + count


class Joiner:
    """Writes the pieces' outputs as one output of the format: one TSV header, one JSON array."""

    def __init__(self, out, output_format):
        self.out, self.format = out, output_format
        self.pieces = 0
        self.json_records = False  # a JSON record is written: the next one follows a comma
        if self.format == "json":
            self.out.write(b"[")

    def add(self, records):
        if self.format == "tsv" and self.pieces > 0:
            records = records[records.index(b"\n") + 1:]  # the header is the first piece's
        elif self.format == "json":
            # attn writes "[", then each record after "\n  " (",\n  " after the first), then "\n]\n" ("]\n" when
            # there were none).
            records = records[1:-3] if records != b"[]\n" else b""
            if records and self.json_records:
                records = b"," + records
            self.json_records = self.json_records or bool(records)
        self.out.write(records)
        self.pieces += 1

    def finish(self):
        if self.format == "json":
            self.out.write(b"\n]\n" if self.json_records else b"]\n")


def piece_place(piece):
    return f"{piece.name}, bytes {piece.start} to {piece.end} (from line {piece.first_line})"


def run(client, args, pieces, out):
    """Classifies every piece and writes the records to `out`; returns the exit code."""
    command = [args.attn] + (["--model", args.model] if args.model else []) + [
        "classify", "--progress", "never", "-f", args.format, "--input-format", args.input_format]
    command += (["--header"] if args.header else []) + args.attn_arguments
    number_lines(client, pieces)
    futures = []
    for piece in pieces:
        header = line_pieces.first_line(piece.path) if args.header and piece.start > 0 else b""
        first = piece.first_line - (1 if header else 0)
        futures.append(client.submit(classify_piece, command, piece.path, piece.start, piece.end, header, piece.name,
                                     first, pure=True))
    joiner = Joiner(out, args.format)
    codes = set()
    for piece, future in zip(pieces, futures):
        code, records, errors = future.result()
        future.release()  # written: the worker may drop it
        sys.stderr.buffer.write(errors)
        if code not in (0, EXIT_INPUT_ERRORS, EXIT_BELOW_THRESHOLD):
            print(f"dask_classify.py: attn failed on {piece_place(piece)} with exit code {code}", file=sys.stderr)
            client.cancel(futures)
            return code
        joiner.add(records)
        codes.add(code)
    joiner.finish()
    return EXIT_INPUT_ERRORS if EXIT_INPUT_ERRORS in codes else max(codes | {0})


def main(argv):
    args = parse_arguments(argv)
    import cloudpickle
    from distributed import Client

    # The workers need not have this module: it travels with the tasks.
    cloudpickle.register_pickle_by_value(line_pieces)
    pieces = pieces_of(args.files, args.piece_size)  # before connecting: an unreadable file ends the run here
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(scheduler_file=args.scheduler_file)
    temporary = None
    try:
        if args.output == "-":
            code = run(client, args, pieces, sys.stdout.buffer)
            sys.stdout.flush()
            return code
        directory = os.path.dirname(os.path.abspath(args.output))
        handle, temporary = tempfile.mkstemp(prefix=".dask_classify.", dir=directory)
        with os.fdopen(handle, "wb") as out:
            code = run(client, args, pieces, out)
        if code in (0, EXIT_INPUT_ERRORS, EXIT_BELOW_THRESHOLD):
            os.chmod(temporary, 0o666 & ~current_umask())
            os.replace(temporary, args.output)
            temporary = None
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as e:
        print(f"dask_classify.py: {e}", file=sys.stderr)
        return EXIT_IO
    finally:
        if temporary:
            os.unlink(temporary)
        client.close()


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
