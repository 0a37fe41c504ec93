"""The engine on imported Hugging Face classifiers: random checkpoints of the three architectures
(tools/make_hf_checkpoints.py), converted by tools/convert_hf.py to format v2, classified by the built `attn`
binary (JSONL records and the attention dump), and compared with the independent float64 references of
tools/hf_reference.py: every probability and every attention weight within 1e-5, at lengths from 1 token to the
512-id position table, past it (truncation), and under each long-text policy (each cut and window wrapped in
[CLS] ... [SEP] on its own).

Texts are words of the vocabulary joined by spaces, so their ids are known without any tokenizer; the dump's
tokens are checked against those words. The checkpoints keep the first VOCAB_KEPT entries of the real uncased
vocabulary (the converter drops the embedding rows past it), which keeps the files small and the test fast.

Usage: hf_engine_test.py ATTN [--full] [--keep DIR]
The default (ctest) covers the three architectures at L2 H128 A2 I512, ELECTRA with its embedding projection at
H256 A4 I1024 and BERT at H384 A12 I1536 with one layer each; --full adds L4 H256 A4 I1024 and L6 H384 A12 I1536
with every layer for each architecture. Exits 77 (skipped) without ../shared/vocab.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import hf_reference  # noqa: E402
import test_hf_import  # noqa: E402
from make_hf_checkpoints import VOCAB_DIR, folder_name, make_checkpoint  # noqa: E402

TOLERANCE = 1e-5
# Above this weight scale attention is so peaked that PyTorch's own float32 forward is off from float64 by more
# than 1e-5 (5.7e-5 at scale 0.5 on L2 H128); there attn is held to 1e-5 plus three times PyTorch's float32
# distance from float64 on the same inputs, and both figures are printed.
FLOAT32_SCALE = 0.2
VOCAB_KEPT = 6000
MAX_IDS = 512  # the checkpoints' position table; the text budget is 510 tokens
LONG_TEXT = 1300  # tokens of the text every long-text policy is run on
# (architecture, shape, labels, weight scale, hidden_act, weights file, config overrides, lengths in tokens).
# Lengths past 510 are truncated to 510; 1300 also runs keep-end, keep-ends and window.
QUICK_CASES = [
    ('bert', 'tiny', 2, 0.1, 'gelu', 'safetensors', {}, [1, 2, 7, 63, 128, 509, 510, 511, LONG_TEXT]),
    ('distilbert', 'tiny', 5, 0.02, 'relu', 'bin', {}, [1, 2, 7, 128, 510]),
    ('bert', 'tiny', 5, 0.2, 'gelu', 'bin', {}, [1, 7, 63, 128, 510]),
    ('distilbert', 'tiny', 2, 0.5, 'gelu', 'safetensors', {}, [1, 7, 63, 128, 510]),
    ('electra', 'tiny', 2, 0.1, 'gelu_new', 'bin', {}, [1, 7, 63, 510]),
    ('electra', 'mini', 5, 0.1, 'gelu', 'safetensors', {'num_hidden_layers': 1}, [1, 7, 63, 128, 510]),
    ('bert', 'l6h384', 2, 0.1, 'gelu_pytorch_tanh', 'bin', {'num_hidden_layers': 1}, [1, 7, 128]),
]
FULL_CASES = [(arch, shape, labels, 0.1, act, weights, {}, [1, 7, 63, 128, 510])
              for arch, labels, act, weights in (('bert', 2, 'gelu', 'safetensors'),
                                                 ('distilbert', 5, 'gelu', 'bin'),
                                                 ('electra', 2, 'gelu_new', 'safetensors'))
              for shape in ('mini', 'l6h384')]


class Results(test_hf_import.Results):
    def check(self, ok, what):
        if ok:
            print('ok   ' + what, flush=True)
        super().check(ok, what)


def make_folder(work, arch, shape, labels, scale, act, overrides, weights):
    """A checkpoint folder with one weights file whose vocab.txt keeps its first VOCAB_KEPT entries; returns
    (folder, config, tensors, vocabulary)."""
    folder, config, tensors = make_checkpoint(work, arch, shape, labels, scale, formats=(weights,), hidden_act=act,
                                              **overrides)
    with open(os.path.join(folder, 'vocab.txt'), encoding='utf-8') as f:
        vocab = f.read().split('\n')[:VOCAB_KEPT]
    with open(os.path.join(folder, 'vocab.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(vocab) + '\n')
    return folder, config, {k: v.numpy() for k, v in tensors.items()}, vocab


def run_attn(attn, model, texts, work, *options):
    """Classifies texts (one per line) -> (JSONL records, attention dump inputs)."""
    inputs, dump = os.path.join(work, 'inputs.txt'), os.path.join(work, 'attention.json')
    with open(inputs, 'w', encoding='utf-8') as f:
        f.write(''.join(text + '\n' for text in texts))
    command = [attn, '--no-cache', '-m', model, 'classify', '-i', inputs, '--format', 'jsonl',
               '--attention', dump, *options]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} exited {run.returncode}: {run.stderr[-2000:]}')
    records = [json.loads(line) for line in run.stdout.splitlines()]
    with open(dump, encoding='utf-8') as f:
        return records, json.load(f)['inputs']


def reference(config, tensors, ids):
    p, a = hf_reference.forward(config, tensors, torch.tensor([ids]))
    return p[0].numpy(), a[0].numpy()


def differences(config, tensors, ids, probabilities, attention, dtype=None):
    """Max |difference| of the engine's probabilities and attention [layers][heads][n][n] from the float64
    reference; with dtype, of the reference in that dtype instead of the engine's."""
    rp, ra = reference(config, tensors, ids)
    if dtype is not None:
        p, a = hf_reference.forward(config, tensors, torch.tensor([ids]), dtype=dtype)
        probabilities, attention = p[0].double().numpy(), a[0].double().numpy()
    engine = np.asarray(attention, dtype=np.float64)
    if engine.shape != ra.shape:
        return float('inf'), float('inf')
    return float(np.abs(np.asarray(probabilities) - rp).max()), float(np.abs(engine - ra).max())


def check_case(results, attn, work, case):
    arch, shape, labels, scale, act, weights, overrides, lengths = case
    t0 = time.time()
    shutil.rmtree(os.path.join(work, folder_name(arch, shape, labels, scale)), ignore_errors=True)
    folder, config, tensors, vocab = make_folder(work, arch, shape, labels, scale, act, overrides, weights)
    name = os.path.basename(folder) + (f' ({overrides})' if overrides else '') + f' from {weights}'
    model = os.path.join(work, 'model.json')
    subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'convert_hf.py'), folder, '--out', model,
                    '--weights', weights], check=True, capture_output=True)
    ids_of = {token: i for i, token in enumerate(vocab)}
    cls, sep = ids_of['[CLS]'], ids_of['[SEP]']
    words = [t for t in vocab[1000:] if re.fullmatch('[a-z]+', t)]
    rng = random.Random(labels * 7 + len(arch))
    text = [rng.choice(words) for _ in range(max(lengths))]
    budget = MAX_IDS - 2

    records, dumped = run_attn(attn, model, [' '.join(text[:n]) for n in lengths], work)
    worst, torch_worst = [0.0, 0.0], [0.0, 0.0]
    for n, record, entry in zip(lengths, records, dumped):
        kept = text[:min(n, budget)]
        ids = [cls] + [ids_of[w] for w in kept] + [sep]
        tokens_ok = entry['tokens'] == ['[CLS]'] + kept + ['[SEP]'] and record['tokens'] == len(kept) and \
            record['truncated'] == (n > budget) and (n <= budget or record['tokens_before_truncation'] == n)
        results.check(tokens_ok, f'{name}: {n} tokens read as [CLS] + {len(kept)} + [SEP], record says so')
        dp, da = differences(config, tensors, ids, entry['probabilities'], entry['attention'])
        worst = [max(worst[0], dp), max(worst[1], da)]
        if scale > FLOAT32_SCALE:
            tp, ta = differences(config, tensors, ids, None, None, torch.float32)
            torch_worst = [max(torch_worst[0], tp), max(torch_worst[1], ta)]
    tolerance = TOLERANCE + 3 * max(torch_worst)
    torch_note = f' (PyTorch float32: {torch_worst[0]:.2e}, {torch_worst[1]:.2e})' if scale > FLOAT32_SCALE else ''
    results.check(max(worst) <= tolerance, f'{name}: lengths {lengths} tokens: max |dp| {worst[0]:.2e}, '
                                           f'max |dA| {worst[1]:.2e} <= {tolerance:.2e}{torch_note}')
    check_info_and_explain(results, attn, name, model, config, folder, ' '.join(text[:5]))
    if LONG_TEXT in lengths:
        check_long_text(results, attn, work, name, model, config, tensors, text[:LONG_TEXT], ids_of)
    print(f'{name}: {time.time() - t0:.1f} s', flush=True)


def check_info_and_explain(results, attn, name, model, config, folder, text):
    """attn info shows metadata.source (text and JSON); attn explain lists [CLS] and [SEP] with the text's tokens."""
    run = lambda *args: subprocess.run([attn, '--no-cache', '-m', model, *args], capture_output=True,  # noqa: E731
                                       text=True, check=True).stdout
    info = json.loads(run('info', '--format', 'json'))
    source = info.get('source', {})
    ok = info['format_version'] == 2 and source.get('architecture') == config['architectures'][0] and \
        source.get('folder') == os.path.basename(folder) and len(source.get('files', {})) == 4 and \
        f'source.architecture {config["architectures"][0]}' in run('info')
    results.check(ok, f'{name}: attn info shows format_version 2 and metadata.source')
    lines = run('explain', text, '--color', 'never').splitlines()
    tokens = [line.split()[0] for line in lines[1:]]
    results.check(tokens[0] == '[CLS]' and tokens[-1] == '[SEP]' and len(tokens) == 7,
                  f'{name}: attn explain lists [CLS], the 5 tokens, [SEP]: {tokens}')


def check_long_text(results, attn, work, name, model, config, tensors, text, ids_of):
    """keep-end, keep-ends and window on a LONG_TEXT-token text: every cut and window wrapped on its own."""
    budget = MAX_IDS - 2
    wrap = lambda words: [ids_of['[CLS]']] + [ids_of[w] for w in words] + [ids_of['[SEP]']]  # noqa: E731
    head = (budget + 1) // 2
    cuts = {'keep-end': text[-budget:], 'keep-ends': text[:head] + text[-(budget - head):]}
    for policy, kept in cuts.items():
        records, dumped = run_attn(attn, model, [' '.join(text)], work, '--long-text', policy)
        entry = dumped[0]
        dp, da = differences(config, tensors, wrap(kept), entry['probabilities'], entry['attention'])
        ok = entry['tokens'] == ['[CLS]'] + kept + ['[SEP]'] and records[0]['tokens'] == budget and \
            max(dp, da) <= TOLERANCE
        results.check(ok, f'{name}: --long-text {policy}: [CLS] + {budget} tokens + [SEP], max |dp| {dp:.2e}, '
                          f'max |dA| {da:.2e}')
    records, dumped = run_attn(attn, model, [' '.join(text)], work, '--long-text', 'window', '--rollout')
    entry = dumped[0]
    windows = entry['windows']
    worst, mean = [0.0, 0.0], np.zeros(len(entry['probabilities']))
    starts = []
    for window in windows:
        start = window['start']
        starts.append(start)
        kept = text[start:start + budget]
        if window['tokens'] != ['[CLS]'] + kept + ['[SEP]'] or window['length'] != len(kept) + 2:
            worst = [float('inf')] * 2
        dp, da = differences(config, tensors, wrap(kept), window['probabilities'], window['attention'])
        worst = [max(worst[0], dp), max(worst[1], da)]
        mean += np.asarray(window['probabilities']) / len(windows)
    expected_starts = list(range(0, len(text) - budget, budget // 2)) + [len(text) - budget]
    combined = float(np.abs(mean - np.asarray(entry['probabilities'])).max())
    ok = starts == expected_starts and max(worst) <= TOLERANCE and combined <= 1e-6 and \
        entry['tokens'] == text and len(entry['rollout']) == len(text) and records[0]['windows'] == len(windows)
    results.check(ok, f'{name}: --long-text window: {len(windows)} windows at {starts}, each [CLS] + window + '
                      f'[SEP]: max |dp| {worst[0]:.2e}, max |dA| {worst[1]:.2e}; mean combined, rollout over the '
                      f'{len(text)} text tokens')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('attn', help='the attn binary')
    ap.add_argument('--full', action='store_true', help='also every architecture at L4 H256 and L6 H384')
    ap.add_argument('--keep', help='work in this folder and keep it')
    args = ap.parse_args()
    if not os.path.isdir(VOCAB_DIR):
        print(f'SKIP: {os.path.normpath(VOCAB_DIR)} (the uncased BERT vocabulary) is absent')
        return 77
    torch.set_num_threads(1)
    results = Results()
    with test_hf_import.work_folder(args.keep, 'hf-engine-') as work:
        for case in QUICK_CASES + (FULL_CASES if args.full else []):
            check_case(results, args.attn, work, case)
    return results.finish()


if __name__ == '__main__':
    sys.exit(main())
