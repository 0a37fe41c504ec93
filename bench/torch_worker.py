"""PyTorch side of the benchmark, run by run.py in a subprocess per thread setting (so that OMP_* variables
and torch.set_num_threads take effect from the start).

Reads a JSON job {model, sets: {name: [[ids...], ...]}, configs: [{set, fast, batch, order}], threads, repeats}
and writes {torch_version, threads, results: [{..config, seconds: [...], labels: [...], probs: [...]}]}.
Only the forward pass and the argmax are timed: tokenization, sorting and building the padded id tensors happen
before the clock starts, which favours PyTorch over attn's whole-process figures.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import torch_model  # noqa: E402
from attn_model import pad_batch  # noqa: E402


def make_batches(seqs, batch, order, pad_id):
    """-> (padded id tensors, input index of each row in batch order). 'sorted' orders inputs by length first."""
    index = list(range(len(seqs)))
    if order == 'sorted':
        index.sort(key=lambda i: len(seqs[i]))  # stable: equal lengths keep input order
    batches = [pad_batch([seqs[i] for i in index[s:s + batch]], pad_id) for s in range(0, len(index), batch)]
    return batches, index


def run_all(model, batches, fast):
    """Forward over every batch; fast=True: inference_mode (PyTorch's fused encoder-layer fast path);
    fast=False: eval mode with grad enabled, which makes nn.TransformerEncoderLayer take its regular path."""
    outs = []
    if fast:
        with torch.inference_mode():
            for ids in batches:
                outs.append(model(ids))
    else:
        with torch.enable_grad():
            for ids in batches:
                outs.append(model(ids).detach())
    return outs


def fast_path_calls(model, ids, fast):
    """How many times the fused encoder-layer kernel runs for one batch: proves which path a config takes."""
    real = torch._transformer_encoder_layer_fwd
    count = [0]

    def counting(*args, **kwargs):
        count[0] += 1
        return real(*args, **kwargs)

    torch._transformer_encoder_layer_fwd = counting
    try:
        run_all(model, [ids], fast)
    finally:
        torch._transformer_encoder_layer_fwd = real
    return count[0]


def main():
    job = json.load(open(sys.argv[1], encoding='utf-8'))
    torch.set_num_threads(job['threads'])
    model, pad_id = torch_model.load(job['model'])
    results = []
    for cfg in job['configs']:
        seqs = job['sets'][cfg['set']]
        batches, index = make_batches(seqs, cfg['batch'], cfg['order'], pad_id)
        calls = fast_path_calls(model, batches[0], cfg['fast'])
        run_all(model, batches[:3], cfg['fast'])  # warm-up: allocator, thread pool, first-touch of weights
        seconds = []
        for _ in range(job['repeats']):
            start = time.perf_counter()
            outs = run_all(model, batches, cfg['fast'])
            labels_in_batch_order = torch.cat([o.argmax(dim=1) for o in outs])
            seconds.append(time.perf_counter() - start)
        probs = torch.softmax(torch.cat(outs), dim=1)
        labels = [0] * len(seqs)
        top = [0.0] * len(seqs)
        for row, i in enumerate(index):
            labels[i] = int(labels_in_batch_order[row])
            top[i] = float(probs[row, labels[i]])
        results.append(dict(cfg, seconds=seconds, labels=labels, probs=top, fast_path_calls=calls))
        print(f"  torch threads={job['threads']} {cfg['set']} fast={cfg['fast']} batch={cfg['batch']} "
              f"{cfg['order']}: {min(seconds):.2f} s", file=sys.stderr, flush=True)
    out = dict(torch_version=torch.__version__, threads=torch.get_num_threads(),
               parallel_info=torch.__config__.parallel_info(), results=results)
    json.dump(out, open(sys.argv[2], 'w', encoding='utf-8'))


if __name__ == '__main__':
    main()
