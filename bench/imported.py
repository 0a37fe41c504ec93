#!/usr/bin/python3
"""attn against PyTorch on the shapes of imported Hugging Face classifiers, random weights (see bench/README.md).

    /usr/bin/python3 bench/imported.py [--reports DIR] [--quick] [-- more bench/run.py options]

For each shape (tools/make_hf_checkpoints.py: tiny = BERT-Tiny L2 H128 A2 I512, mini = BERT-Mini L4 H256 A4 I1024,
l6h384 = MiniLM's L6 H384 A12 I1536) it writes a seeded random checkpoint with the real uncased vocabulary,
converts it to format v2 (tools/convert_hf.py) and runs bench/run.py on it with three sets: SST-2 sentences and
texts of about 128 and 512 ids. Then it prints one table: attn's and PyTorch's texts/s and attn ÷ PyTorch, the
medians (min-max) of run.py's head-to-head rounds, and how many labels PyTorch shares with attn.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import report  # noqa: E402
from make_hf_checkpoints import SHAPES, make_checkpoint  # noqa: E402

LENGTHS = (128, 512)  # the long sets: texts of LENGTH-4..LENGTH ids, [CLS] and [SEP] included
# Texts per set (sentences, then one count per LENGTHS): 100 to 650 GFLOP of model work each (inputs.model_flops),
# so that one attn pass takes seconds and PyTorch's 22 configurations per set take minutes. --quick takes a tenth
# of each (at least 8).
COUNTS = {'tiny': (10000, 2000, 400), 'mini': (3000, 300, 96), 'l6h384': (1000, 128, 48)}
SCALE = 0.1  # weight scale: confident labels, so float32 rounding cannot flip PyTorch's against attn's
LABELS = 2


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shapes', nargs='+', choices=list(SHAPES), default=list(SHAPES))
    ap.add_argument('--arch', choices=('bert', 'distilbert', 'electra'), default='bert')
    ap.add_argument('--rounds', type=int, help='head-to-head rounds per set (run.py default: 5; 2 with --quick)')
    ap.add_argument('--quick', action='store_true', help='a tenth of the texts, one repeat, 2 rounds: a smoke test')
    ap.add_argument('--reports', help="write each shape's full run.py report (and its --json) into this folder")
    ap.add_argument('--report', help='also write the table to this file')
    ap.add_argument('--keep', help='make the checkpoints and model files in this folder and keep them')
    ap.add_argument('run_options', nargs='*', help='passed on to every bench/run.py (after --), e.g. --wait-idle 5')
    return ap.parse_args()


def counts(shape, quick):
    return tuple(max(8, n // 10) for n in COUNTS[shape]) if quick else COUNTS[shape]


def make_model(work, arch, shape):
    """A random checkpoint of the shape, converted -> path of the v2 model file."""
    folder, _, _ = make_checkpoint(work, arch, shape, LABELS, SCALE, formats=('safetensors',))
    model = os.path.join(work, f'{arch}-{shape}.json')
    subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'convert_hf.py'), folder, '--out', model],
                   check=True, stdout=sys.stderr)
    return model


def run_bench(args, model, shape, out_dir):
    """bench/run.py on one model -> its --json summary."""
    sentences, *long_counts = counts(shape, args.quick)
    summary = os.path.join(out_dir, f'{shape}.json')
    cmd = [sys.executable, os.path.join(HERE, 'run.py'), '--model', model, '--sentences', str(sentences),
           '--long-sets', *(f'{n}:{c}' for n, c in zip(LENGTHS, long_counts)), '--rss-lines', str(sentences),
           '--json', summary, '--no-ort']  # v2 files, which ONNX Runtime's export does not cover
    if args.reports:
        cmd += ['--report', os.path.join(out_dir, f'{shape}.md')]
    if args.quick:  # not run.py's --quick, which would replace the set sizes
        cmd += ['--repeats', '1', '--latency-runs', '5', '--rounds', '2']
    if args.rounds is not None:
        cmd += ['--rounds', str(args.rounds)]
    print(f'== {shape}: {" ".join(cmd)}', file=sys.stderr, flush=True)
    subprocess.run(cmd + args.run_options, check=True, stdout=subprocess.DEVNULL)
    with open(summary, encoding='utf-8') as f:
        return json.load(f)


def table(results):
    """results: [(shape, run.py summary)] -> the table and its warnings, as lines."""
    head = ('shape', 'set', 'texts', 'mean ids', 'attn texts/s', 'PyTorch best texts/s',
            'attn ÷ PyTorch, median (min-max)', 'attn', 'PyTorch', 'labels = attn')
    rows, notes = [], []
    for shape, summary in results:
        layers, hidden, heads, ffn = SHAPES[shape]
        for name, s in summary['sets'].items():
            ratio, lo, hi = s['ratio']
            rows.append((f'{shape} (L{layers} H{hidden} A{heads} I{ffn})', name, s['texts'], f"{s['mean_ids']:.1f}",
                         f"{s['attn']:.0f}", f"{s['torch']:.0f}", f'{ratio:.2f}× ({lo:.2f}-{hi:.2f})',
                         s['attn_config'], s['torch_config'], f"{s['agreement']:.2f}%"))
            if s['agreement'] < 100:
                notes.append(f'WARNING: {shape} {name}: PyTorch gives another label than attn on '
                             f"{100 - s['agreement']:.2f}% of the texts in one configuration")
        if summary['warnings']:
            notes.append(f"WARNING: {shape}: the machine was not idle ({len(summary['warnings'])} findings, all in "
                         f"its run.py report), e.g. {summary['warnings'][0]}")
    return [report.table(head, rows), ''] + notes


def main():
    args = parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='attn-imported-') as tmp:
        work = args.keep or tmp
        out_dir = args.reports or tmp
        for folder in (work, out_dir):
            os.makedirs(folder, exist_ok=True)
        results = []
        for shape in args.shapes:
            model = make_model(work, args.arch, shape)
            results.append((shape, run_bench(args, model, shape, out_dir)))
            if not args.keep:
                os.remove(model)
    text = '\n'.join(table(results)) + f'\n\nTook {(time.perf_counter() - t0) / 60:.1f} min.\n'
    print(text)
    if args.report:
        with open(args.report, 'w', encoding='utf-8') as f:
            f.write(text)


if __name__ == '__main__':
    main()
