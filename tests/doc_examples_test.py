"""Runs every example command of the README's Use section, the man page's EXAMPLES and every --help against the
bundled models, in a scratch directory holding small files under the names the examples use.

Usage: doc_examples_test.py path/to/attn path/to/source-tree
An example fails when it exits with anything but 0, 5 (an example input with an error record) or 6 (--threshold).
Examples naming a model of the reader's own (path/to/model.json, reviews.json) are listed as skipped, and so are
those reading ../shared data when it is absent.
"""
import os
import re
import subprocess
import sys
import tempfile

ATTN, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DATA = os.path.join(ROOT, "..", "shared", "data")
PLACEHOLDERS = ("path/to/", "reviews.json", "x.json")


def readme_examples():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    use = text[text.index("## Use"):]
    use = use[:use.index("\n## ", 5)]
    for block in re.findall(r"```sh\n(.*?)```", use, re.S):
        for line in block.splitlines():
            if line.startswith(("attn ", "printf ")):
                yield "README", re.sub(r"\s+# .*$", "", line)


def man_examples():
    man = open(os.path.join(ROOT, "docs", "attn.1"), encoding="utf-8").read()
    block = man[man.index(".SH EXAMPLES"):]
    block = block[block.index(".nf") + 3:block.index(".fi")]
    for line in block.strip().splitlines():
        yield "man page", line.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")


def help_examples():
    top = subprocess.run([ATTN, "--help"], capture_output=True, text=True).stdout
    subs = re.findall(r"^  (\w+)\s", top[top.index("Subcommands:"):], re.M)
    for where, args in [("--help", [])] + [(f"{s} --help", [s]) for s in subs]:
        out = subprocess.run([ATTN, *args, "--help"], capture_output=True, text=True).stdout
        if "Examples:" not in out:
            continue
        for line in out[out.index("Examples:"):].splitlines()[1:]:
            if not line.startswith("  "):
                break
            line = line.strip()
            if line.startswith(("attn ", "printf ")) and "SUBCOMMAND" not in line:
                yield where, re.sub(r"\s+\(.*\)$|\s+# .*$", "", line)


def scratch_files(work):
    texts = "a gripping, beautifully acted film\nthe plot was a tedious mess\nnot bad at all\n"
    for name in ("reviews.txt", "more.txt", "big.txt", "f.txt", "some.txt"):
        open(os.path.join(work, name), "w").write(texts)
    open(os.path.join(work, "long.txt"), "w").write(("a long and winding review " * 40 + "\n") * 2)
    open(os.path.join(work, "long-reviews.txt"), "w").write(("a long and winding review " * 40 + "\n") * 2)
    open(os.path.join(work, "dev.tsv"), "w").write("sentence\tlabel\nfun\t1\ndull\t0\n")
    open(os.path.join(work, "posts.jsonl"), "w").write('{"id": 1, "text": "fun"}\n{"id": 2, "text": "dull"}\n')
    open(os.path.join(work, "stsa.binary.test"), "w").write("1 fun\n0 dull\n")
    open(os.path.join(work, "SMSSpamCollection"), "w").write("ham see you at six\nspam win a prize now\n")


with tempfile.TemporaryDirectory() as work:
    scratch_files(work)
    os.symlink(ATTN, os.path.join(work, "attn"))
    env = dict(os.environ, PATH=work + os.pathsep + os.environ["PATH"], ATTN_CACHE_DIR=os.path.join(work, "cache"))
    env.pop("ATTN_MODEL", None)
    failures, ran, skipped = [], 0, []
    for where, command in [*readme_examples(), *man_examples(), *help_examples()]:
        if any(p in command for p in PLACEHOLDERS):
            skipped.append(command)
            continue
        if "../shared/data/" in command:
            if not os.path.isdir(DATA):
                skipped.append(command)
                continue
            command = command.replace("../shared/data/", DATA + "/")
        command = command.replace("models/sms-spam.json", os.path.join(ROOT, "models", "sms-spam.json"))
        done = subprocess.run(["bash", "-c", "set -o pipefail; " + command], cwd=work, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300)
        ran += 1
        if done.returncode not in (0, 5, 6):
            failures.append(f"{where}: {command}: exit {done.returncode}: {done.stderr.strip()[:300]}")
    for command in skipped:
        print("skipped (a model or data of the reader's own):", command)
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    print(f"doc_examples: {ran} examples run, {len(failures)} failed, {len(skipped)} skipped")
    sys.exit(1 if failures else 0)
