"""Extra runs for the plot (run.py --plot): throughput against batch size (the first 3,000 sentences) and
against text length (500 texts per length), 1 thread.

attn: whole processes minus the empty-input run time; PyTorch: fast path, length-sorted batches, forward only.
"""
import os
import statistics
import sys

import inputs
import jobs

HERE = os.path.dirname(os.path.abspath(__file__))
BATCHES = (1, 4, 16, 32, 128, 512)
LENGTHS = (8, 16, 32, 48, 64)
PER_LENGTH = 500
SWEEP_SENTENCES = 3000  # enough for batch 512 to make several batches, small enough to keep the run short


def run(args, bins, tokenizer, cfg, tmp, env, load_s, helpers):
    """-> {'batch': {tool: [(batch, texts/s)]}, 'length': {tool: [(mean tokens, texts/s)]}}

    load_s: attn's median whole-process time on an empty input, subtracted from every attn run.
    """
    run_child, attn_cmd, write_lines = helpers['run_child'], helpers['attn_cmd'], helpers['write_lines']
    sentences = inputs.read_sentences(args.data, min(args.sentences, SWEEP_SENTENCES))
    every = inputs.read_sentences(args.data)
    sets = {'sentences': sentences}
    for n in LENGTHS:
        if n <= cfg['max_length']:
            sets[f'len{n}'] = inputs.long_texts(every, tokenizer, PER_LENGTH, max(1, n - n // 8), n)
    ids = {name: [tokenizer.encode(t, cfg['max_length']) for t in texts] for name, texts in sets.items()}
    files = {}
    for name, texts in sets.items():
        files[name] = os.path.join(tmp, f'sweep-{name}.txt')
        write_lines(files[name], texts)

    def attn_rate(name, batch):
        cmd = attn_cmd(bins, args.model, '-i', files[name], '--format', 'jsonl', '--threads', '1', '--batch-size',
                       str(batch))
        wall = statistics.median(run_child(cmd, env=env)[0] for _ in range(args.repeats))
        return len(sets[name]) / max(1e-9, wall - load_s)

    lengths = [n for n in sets if n != 'sentences']
    out = {'batch': {'attn': [(b, attn_rate('sentences', b)) for b in BATCHES]},
           'length': {'attn': [(statistics.mean(map(len, ids[n])), attn_rate(n, 32)) for n in lengths]}}

    configs = [dict(set='sentences', fast=True, batch=b, order='sorted') for b in BATCHES]
    configs += [dict(set=n, fast=True, batch=32, order='sorted') for n in lengths]
    job = dict(model=os.path.abspath(args.torch_model), sets=ids, configs=configs, threads=1, repeats=1)
    results = jobs.run([sys.executable, os.path.join(HERE, 'torch_worker.py')], job, tmp, 'sweep',
                       dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1'))['results']
    rate = lambda r: len(ids[r['set']]) / min(r['seconds'])
    out['batch']['PyTorch fast path, sorted'] = [(r['batch'], rate(r)) for r in results if r['set'] == 'sentences']
    out['length']['PyTorch fast path, sorted'] = [(statistics.mean(map(len, ids[r['set']])), rate(r))
                                                  for r in results if r['set'] != 'sentences']
    return out
