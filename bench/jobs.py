"""The peers' sweep and the JSON job protocol their workers share (torch_worker.py, ort_worker.js).

A job is a JSON file {model, sets: {name: [[ids...], ...]}, configs: [{set, batch, order, ...}], threads,
repeats, ...}; the worker writes {..., results: [{...config, seconds: [...], labels: [...], probs: [...]}]}:
one time per repeat, and per input, in input order, the predicted label and its probability.
"""
import json
import os
import subprocess

THREADS = (1, 2)
BATCHES = (1, 32, 128)
ORDERS = ('input', 'sorted')  # 'sorted': inputs ordered by length before batching, so little padding


def batch_configs(set_names):
    """-> [{set, batch, order}] per set, batch 1 in input order only (sorting changes nothing there)."""
    return [dict(set=s, batch=b, order=o) for s in set_names for b in BATCHES for o in ORDERS
            if not (b == 1 and o == 'sorted')]


def run(cmd, job, tmp, name, env=None):
    """Writes job to tmp/NAME-job.json, runs cmd JOB OUT and -> the worker's output as parsed JSON."""
    job_path, out_path = os.path.join(tmp, f'{name}-job.json'), os.path.join(tmp, f'{name}-out.json')
    with open(job_path, 'w', encoding='utf-8') as f:
        json.dump(job, f)
    subprocess.run(cmd + [job_path, out_path], env=env, check=True)
    with open(out_path, encoding='utf-8') as f:
        return json.load(f)
