"""attn classify as a pipe stage: a slow writer gets each answer within a bound of writing its line, a coprocess
(write a line, read its answer, repeat) is answered every time, and a wait for input ends on SIGINT.

Usage: stream_latency.py path/to/attn path/to/model.json [bound in ms, default 100]
Latency is measured from the write of each line to the arrival of its answer, after a first line has been answered
(so the model's loading is not counted). On a loaded machine one attempt may be unlucky: the slow-writer case is
tried up to three times and passes if one attempt answers every line within the bound. Before streaming, an answer
came only with the next line (1.5 s later here) or at the end of the input, which no attempt can pass.
"""
import os
import select
import signal
import subprocess
import sys
import time

ATTN, MODEL = sys.argv[1], sys.argv[2]
BOUND = float(sys.argv[3] if len(sys.argv) > 3 else 100) / 1000
GAP = 1.5  # seconds between the slow writer's lines
failures = []


def start(*args):
    return subprocess.Popen([ATTN, "--model", MODEL, "classify", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)


def read_line(proc, timeout):
    """One line of stdout, or None when none arrives within timeout seconds."""
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            return None
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            return None
        data += chunk
    return data.decode()


def finish(proc):
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def slow_writer(args):
    """The latencies (s) of five lines written GAP apart, or None for a line whose answer did not come in time."""
    proc = start(*args)
    latencies = []
    try:
        proc.stdin.write(b"warm up\n")
        if read_line(proc, 20) is None:
            return [None]
        for word in ["great", "awful", "terrible", "fun", "boring"]:
            time.sleep(GAP)
            sent = time.monotonic()
            proc.stdin.write(word.encode() + b"\n")
            answer = read_line(proc, GAP)
            latencies.append(None if answer is None else time.monotonic() - sent)
    finally:
        finish(proc)
    return latencies


for args in (["-k1"], ["-k1", "--batch-size", "1"], ["-f", "jsonl", "-t", "2"]):
    attempts = []
    for _ in range(3):
        latencies = slow_writer(args)
        attempts.append(latencies)
        if all(l is not None and l <= BOUND for l in latencies):
            break
    else:
        failures.append(f"slow writer {args}: an answer later than {BOUND * 1000:.0f} ms in every attempt "
                        f"(ms, None: not within {GAP} s): "
                        + "; ".join(str([None if l is None else round(l * 1000) for l in a]) for a in attempts))
    best = attempts[-1]
    print(f"slow writer {' '.join(args)}: latencies ms {[None if l is None else round(l * 1000, 1) for l in best]}")

# A coprocess: each line is written only after the previous answer was read.
for fmt in ("text", "jsonl", "json", "tsv"):
    proc = start("-f", fmt)
    try:
        if fmt == "tsv" and read_line(proc, 60) is None:
            failures.append("coprocess tsv: no header")
        for i in range(20):
            proc.stdin.write(f"line number {i} was great\n".encode())
            answer = read_line(proc, 30)
            if answer is None:
                failures.append(f"coprocess {fmt}: no answer to line {i + 1} within 30 s (deadlock)")
                break
    finally:
        finish(proc)

# A wait for input ends on SIGINT with 130, however long the writer stays silent.
proc = start()
proc.stdin.write(b"good\n")
read_line(proc, 60)
proc.send_signal(signal.SIGINT)
try:
    code = proc.wait(timeout=10)
    if code != 130:
        failures.append(f"SIGINT while waiting for input: exit {code}, expected 130")
except subprocess.TimeoutExpired:
    failures.append("SIGINT while waiting for input: still running after 10 s")
    proc.kill()
    proc.wait()
proc.stdin.close()

for f in failures:
    print("FAIL:", f, file=sys.stderr)
print(f"stream_latency: {'failed' if failures else 'passed'}")
sys.exit(1 if failures else 0)
