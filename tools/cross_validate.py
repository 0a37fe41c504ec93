"""K-fold cross-validation with tools/train.py: one training run per fold, the mean and spread of the folds.

Every argument after `--` goes to train.py as it is (data, architecture, optimiser); this script adds
`--folds K --fold I`. With --attn, each fold's model is exported and its test fold is scored a second time by
`attn eval`, so the reported accuracy is the C++ engine's on the exported file, beside PyTorch's.

  /usr/bin/python3 tools/cross_validate.py --folds 10 --jobs 2 --attn build/attn --summary /tmp/mr-cv.json -- \\
      --train pos=../shared/data/mr/rt-polarity.pos neg=../shared/data/mr/rt-polarity.neg \\
      --d-model 64 --heads 4 --layers 1 --ffn 256 --dropout 0.3 --threads 1
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))


def run_fold(fold, args, train_args, work):
    """Trains fold `fold`; -> {'fold', 'torch': test metrics, 'attn': attn eval's report or None}."""
    folder = os.path.join(work, f'fold-{fold}')
    os.makedirs(folder, exist_ok=True)
    metrics_path = os.path.join(folder, 'metrics.json')
    model_path = os.path.join(folder, 'model.json')
    command = [sys.executable, os.path.join(HERE, 'train.py'), *train_args, '--folds', str(args.folds),
               '--fold', str(fold), '--metrics-out', metrics_path, '--write-splits', folder]
    command += ['--out', model_path] if args.attn else ['--no-export']
    with open(os.path.join(folder, 'train.log'), 'w', encoding='utf-8') as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(f'fold {fold}: train.py failed (exit {done.returncode}); log: {folder}/train.log')
    with open(metrics_path, encoding='utf-8') as f:
        result = {'fold': fold, 'torch': json.load(f)['test'], 'attn': None}
    if args.attn:
        report = subprocess.run([args.attn, '--model', model_path, 'eval', '--data-format', 'label-tab-text',
                                 '-i', os.path.join(folder, 'test.tsv'), '--format', 'json'],
                                capture_output=True, text=True, check=False)
        if report.returncode != 0:
            raise SystemExit(f'fold {fold}: attn eval failed (exit {report.returncode}): {report.stderr.strip()}')
        result['attn'] = json.loads(report.stdout)
        os.remove(model_path)  # 10 models of ~10 MB each are not worth keeping
    print(f'fold {fold}: test accuracy {result["torch"]["accuracy"]:.2f}'
          + (f' (attn eval {100 * result["attn"]["accuracy"]:.2f})' if args.attn else ''), flush=True)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--folds', type=int, default=10)
    ap.add_argument('--jobs', type=int, default=1, help='folds trained at once (give train.py --threads 1)')
    ap.add_argument('--attn', help='attn binary: also score each fold with `attn eval` on the exported model')
    ap.add_argument('--summary', help='write the per-fold figures and their mean here as JSON')
    ap.add_argument('--work', help='keep each fold\'s splits, metrics and log here (default: a temporary dir)')
    ap.add_argument('train_args', nargs=argparse.REMAINDER, help='-- then the arguments of train.py')
    args = ap.parse_args()
    train_args = args.train_args[1:] if args.train_args[:1] == ['--'] else args.train_args
    if not train_args:
        ap.error('give the arguments of train.py after --')

    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or temporary
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda k: run_fold(k, args, train_args, work), range(args.folds)))

    def spread(values):
        return {'mean': round(statistics.mean(values), 2), 'std': round(statistics.stdev(values), 2),
                'min': min(values), 'max': max(values)}
    summary = {'folds': args.folds, 'train_args': train_args,
               'accuracy': spread([r['torch']['accuracy'] for r in results]),
               'macro_f1': spread([r['torch']['macro_f1'] for r in results]), 'per_fold': results}
    line = f'{args.folds}-fold test accuracy {summary["accuracy"]["mean"]:.2f} ± {summary["accuracy"]["std"]:.2f}'
    if args.attn:
        # attn eval's JSON gives accuracy as a fraction.
        summary['attn_accuracy'] = spread([round(100 * r['attn']['accuracy'], 2) for r in results])
        line += f' (attn eval on the exported models: {summary["attn_accuracy"]["mean"]:.2f})'
    print(line, flush=True)
    if args.summary:
        with open(args.summary, 'w', encoding='utf-8') as f:
            json.dump(summary, f, indent=1)


if __name__ == '__main__':
    main()
