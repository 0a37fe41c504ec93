"""fastText beside every row of attn's accuracy table: the baseline a user would pick instead.

Trains Debian's `fasttext supervised` (/usr/bin/fasttext) on exactly the splits tools/train.py uses and scores
it on the same test texts. Texts go through the reference basic tokenizer (lowercase, punctuation split off),
the words attn's own tokenizer starts from. Settings, one row each:
  unigram            -wordNgrams 1
  bigram             -wordNgrams 2
  bigram+skipgram    -wordNgrams 2 -dim 128 -pretrainedVectors skipgram-words.vec (--skipgram; trained on the
                     pre-training corpus by tools/skipgram_vectors.py and cached in the pre-training directory)
Every run has one thread (fastText is then deterministic for its -seed). Epochs and learning rate are chosen on
dev from GRID with the first seed; the chosen setting is then trained with every seed and its test accuracy
reported as mean ± std over seeds (MR: over the 10 folds, one seed, the setting chosen on each fold's dev).

Splits (data from `paths.data`, i.e. ../shared/data or $ATTN_DATA_ROOT):
  sst2   train: GLUE sst2/glue/train.tsv less the texts equal to a Kim dev/test sentence (datasets.dedupe);
         dev / test: Kim's stsa.binary.dev / stsa.binary.test
  mr     10 stratified folds of the deduplicated rows (seed 1); dev: a stratified 0.1 of the other nine folds
         (seed 2): train.py --folds 10 --fold K, as tools/cross_validate.py runs it
  imdb   train: imdb/train.tsv deduplicated, less any text of imdb/test.tsv; dev: its stratified 0.1 (seed 1);
         test: imdb/test.tsv; `<br />` line breaks removed
The SST-2 and IMDB models are also scored on data/contrast.tsv (hand-written negation and contrast sentences).

  nice -n 10 /usr/bin/python3 tools/fasttext_baseline.py --skipgram --out results.json
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402
import paths  # noqa: E402
import skipgram_vectors  # noqa: E402
from attn_tokenizer import basic_tokenize  # noqa: E402
from corpus import clean  # noqa: E402

FASTTEXT = '/usr/bin/fasttext'
GRID = [(epoch, lr) for epoch in (5, 10, 25) for lr in (0.1, 0.5, 1.0)]
SETTINGS = {'unigram': {'ngrams': 1, 'vectors': False}, 'bigram': {'ngrams': 2, 'vectors': False},
            'bigram+skipgram': {'ngrams': 2, 'vectors': True}}
CONTRAST = os.path.join(paths.REPO, 'data', 'contrast.tsv')
# fastText hashes bigrams into 2 M rows by default: ~800 MB to allocate, save and load for every run, which is
# nine tenths of a run on MR's 8,600 training sentences (measured: 26 s + 22 s to predict, against 3 s + 2 s with
# 200 k rows), and MR takes 90 runs a row. A fold's training texts hold 95 k distinct bigrams, so with 200 k rows
# more of them share a row than with 2 M; whether that costs accuracy has not been measured yet.
MR_BUCKET = 200000
SST2_NAMES = {'0': 'negative', '1': 'positive'}  # so that SST-2 models answer in the contrast set's labels


def words(text):
    return ' '.join(basic_tokenize(text))


class Task:
    """One train/dev/test split (plus extra test sets), written once as fastText files in `folder`."""

    def __init__(self, folder, train, dev, test, extra=None, bucket=2000000):
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self.bucket = bucket
        self.vocab = set()
        self.train_lines = []
        for text, label in train:
            tokens = words(text)
            self.vocab.update(tokens.split())
            self.train_lines.append(f'__label__{label} {tokens}\n')
        # Every scored set goes into one file, so that each model is loaded once to predict them all: with
        # bigrams the model holds fastText's 2 M hashed n-gram rows (~800 MB), and loading it is most of a run.
        self.eval = os.path.join(folder, 'eval.txt')
        self.scored = {}  # name -> (first line in eval.txt, gold labels)
        with open(self.eval, 'w', encoding='utf-8') as f:
            line = 0
            for name, rows in {'dev': dev, 'test': test, **(extra or {})}.items():
                for text, _ in rows:
                    tokens = words(text)
                    self.vocab.update(tokens.split())
                    f.write(tokens + '\n')
                self.scored[name] = (line, [label for _, label in rows])
                line += len(rows)
        self.lines = line
        self.sizes = {'train': len(train), **{name: len(gold) for name, (_, gold) in self.scored.items()}}

    def train_file(self, seed):
        """The training texts in an order shuffled by seed. fastText reads its input in file order, and several
        splits come grouped by label (IMDB's files, stratified_split's output): unshuffled, the last label seen
        wins. With one thread the order is also the only thing a seed changes much (fastText's -seed moves only
        the tiny initial weights), so each seed gets its own order, as a neural trainer's seed would."""
        path = os.path.join(self.folder, f'train-{seed}.txt')
        if not os.path.exists(path):
            lines = list(self.train_lines)
            random.Random(seed).shuffle(lines)
            with open(path, 'w', encoding='utf-8') as f:
                f.writelines(lines)
        return path

    def run(self, epoch, lr, seed, ngrams, vectors):
        """Trains one model and scores it -> {set name: accuracy %, 'seconds': training time}."""
        model = os.path.join(self.folder, 'model')
        command = [FASTTEXT, 'supervised', '-input', self.train_file(seed), '-output', model, '-epoch', str(epoch),
                   '-lr', str(lr), '-wordNgrams', str(ngrams), '-bucket', str(self.bucket), '-seed', str(seed),
                   '-thread', '1', '-verbose', '0']
        if vectors:
            command += ['-dim', str(skipgram_vectors.DIM), '-pretrainedVectors', vectors]
        start = time.time()
        subprocess.run(command, check=True)
        result = {'seconds': round(time.time() - start, 1)}
        # fastText prints an empty line for a text with no known word: counted as wrong.
        predicted = subprocess.run([FASTTEXT, 'predict', model + '.bin', self.eval], capture_output=True, text=True,
                                   check=True).stdout.split('\n')
        assert len(predicted) == self.lines + 1, f'{len(predicted) - 1} predictions for {self.lines} texts'
        for name, (first, gold) in self.scored.items():
            right = sum(p == f'__label__{g}' for p, g in zip(predicted[first:first + len(gold)], gold))
            result[name] = round(100 * right / len(gold), 2)
        for suffix in ('.bin', '.vec'):
            if os.path.exists(model + suffix):
                os.remove(model + suffix)
        return result


def filtered_vectors(vec_path, vocab, out_path):
    """Writes the vectors of the words in vocab only. fastText adds every word of -pretrainedVectors to its
    dictionary, so this is the same model as with the whole file (words no text of the task holds never get a
    gradient nor a lookup), but loads in a second instead of reading ~100 MB of text for every run."""
    with open(vec_path, encoding='utf-8', errors='surrogateescape') as f:
        dim = next(f).split()[1]
        kept = [line for line in f if line.split(' ', 1)[0] in vocab]
    with open(out_path, 'w', encoding='utf-8', errors='surrogateescape') as f:
        f.write(f'{len(kept)} {dim}\n')
        f.writelines(kept)
    return out_path


def evaluate(task, setting, vec_path, seeds, log):
    """Grid on dev with seeds[0], then the chosen (epoch, lr) with every seed. -> dict of figures."""
    vectors = vec_path and filtered_vectors(vec_path, task.vocab, os.path.join(task.folder, 'vectors.vec'))
    grid = {}
    for epoch, lr in GRID:
        grid[(epoch, lr)] = task.run(epoch, lr, seeds[0], SETTINGS[setting]['ngrams'], vectors)
        log(f'  {setting} epoch {epoch} lr {lr}: dev {grid[(epoch, lr)]["dev"]:.2f}')
    chosen = max(GRID, key=lambda c: grid[c]['dev'])  # the first of equal ones: fewer epochs, lower rate
    runs = [grid[chosen]] + [task.run(*chosen, seed, SETTINGS[setting]['ngrams'], vectors) for seed in seeds[1:]]
    out = {'epoch': chosen[0], 'lr': chosen[1], 'seeds': list(seeds), 'train_seconds': [r['seconds'] for r in runs],
           'grid_dev': {f'epoch {e} lr {lr}': r['dev'] for (e, lr), r in grid.items()}}
    for name in task.scored:
        out[name] = [r[name] for r in runs]
    return out


def spread(values):
    return {'mean': round(statistics.mean(values), 2),
            'std': round(statistics.stdev(values), 2) if len(values) > 1 else 0.0}


def summarise(result, names):
    for name in names:
        result[f'{name}_mean_std'] = spread(result[name])
    return result


def load_sst2():
    dev = datasets.read_rows(paths.data('sst2', 'kim2014', 'stsa.binary.dev'), 'label-space-text')
    test = datasets.read_rows(paths.data('sst2', 'kim2014', 'stsa.binary.test'), 'label-space-text')
    train = datasets.read_rows(paths.data('sst2', 'glue', 'train.tsv'), 'text-tab-label')
    train, stats = datasets.dedupe(train, {t for t, _ in dev} | {t for t, _ in test})
    named = [[(t, SST2_NAMES[label]) for t, label in rows] for rows in (train, dev, test)]
    return named, stats


def read_imdb(name):
    """imdb/NAME.tsv (label, rating, id, text; a header line) -> rows (text, label)."""
    rows = []
    with open(paths.data('imdb', name), encoding='utf-8') as f:
        next(f)
        for line in f:
            label, _rating, _id, text = line.rstrip('\n').split('\t', 3)
            rows.append((clean(text), label))
    return rows


def load_imdb():
    test = read_imdb('test.tsv')
    rows, stats = datasets.dedupe(read_imdb('train.tsv'), {t for t, _ in test})
    train, dev = datasets.stratified_split(rows, 0.1, 1)
    return (train, dev, test), stats


def mr_folds(folds=10, seed=1):
    """-> (list of (train, dev, test) as train.py --folds builds them, dedupe stats)."""
    rows = datasets.read_all([f'pos={paths.data("mr", "rt-polarity.pos")}',
                              f'neg={paths.data("mr", "rt-polarity.neg")}'], 'text-tab-label')
    rows, stats = datasets.dedupe(rows)
    parts = datasets.stratified_folds(rows, folds, seed)
    splits = []
    for k in range(folds):
        rest = [r for i, part in enumerate(parts) if i != k for r in part]
        train, dev = datasets.stratified_split(rest, 0.1, seed + 1)
        splits.append((train, dev, parts[k]))
    return splits, stats


def print_table(results):
    def cell(figures):
        return f'{figures["mean"]:.2f} ± {figures["std"]:.2f}' if figures else '-'
    columns = [('SST-2 test', 'sst2', 'test'), ('MR 10-fold', 'mr', 'test'), ('IMDB test', 'imdb', 'test'),
               ('contrast (SST-2 model)', 'sst2', 'contrast'), ('contrast (IMDB model)', 'imdb', 'contrast')]
    print('| fastText | ' + ' | '.join(c[0] for c in columns) + ' |')
    print('| --- ' * (len(columns) + 1) + '|')
    for setting in SETTINGS:
        cells = [cell(results.get(task, {}).get(setting, {}).get(f'{name}_mean_std')) for _, task, name in columns]
        if any(c != '-' for c in cells):
            print(f'| {setting} | ' + ' | '.join(cells) + ' |')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tasks', nargs='+', choices=('sst2', 'mr', 'imdb'), default=['sst2', 'mr', 'imdb'])
    ap.add_argument('--skipgram', action='store_true',
                    help='also the bigram+skipgram row (trains skipgram-words.vec first if it is not cached)')
    ap.add_argument('--settings', nargs='+', choices=list(SETTINGS), help='only these rows (default: all asked for)')
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    ap.add_argument('--out', help='write every figure here as JSON; an existing file is updated, so that tasks '
                                  'and rows run one at a time add up to one table')
    ap.add_argument('--work', help='keep the fastText input files here (default: a temporary directory)')
    args = ap.parse_args()
    settings = [s for s in args.settings or SETTINGS if args.skipgram or not SETTINGS[s]['vectors']]
    vec_path = skipgram_vectors.word_vectors(paths.pretrain_dir()) if args.skipgram else None
    contrast = datasets.read_rows(CONTRAST, 'label-tab-text')
    start = time.time()

    def log(message):
        print(f'[{time.time() - start:6.0f} s] {message}', flush=True)

    results = {}
    if args.out and os.path.exists(args.out):
        with open(args.out, encoding='utf-8') as f:
            results = json.load(f)
    results.update({'grid': [list(c) for c in GRID], 'fasttext': subprocess.run(
        ['dpkg-query', '-W', '-f', '${Version}', 'fasttext'], capture_output=True, text=True).stdout})
    # In memory where there is a /dev/shm: each run writes and reads a model of up to 1 GB (the n-gram buckets).
    with tempfile.TemporaryDirectory(dir='/dev/shm' if os.path.isdir('/dev/shm') else None) as temporary:
        work = args.work or temporary
        for name in args.tasks:
            log(f'{name}: preparing')
            if name == 'mr':
                splits, stats = mr_folds()
                tasks = [Task(os.path.join(work, 'mr', f'fold-{k}'), *split, bucket=MR_BUCKET)
                         for k, split in enumerate(splits)]
                vocab = set().union(*(t.vocab for t in tasks))
                for t in tasks:  # one vector file serves every fold
                    t.vocab = vocab
            else:
                (train, dev, test), stats = load_sst2() if name == 'sst2' else load_imdb()
                tasks = [Task(os.path.join(work, name), train, dev, test, {'contrast': contrast})]
            results.setdefault(name, {}).update(sizes=tasks[0].sizes, train_rows=stats, bucket=tasks[0].bucket)
            for setting in settings:
                vectors = vec_path if SETTINGS[setting]['vectors'] else None
                if name == 'mr':
                    per_fold = []
                    for k, t in enumerate(tasks):
                        per_fold.append(evaluate(t, setting, vectors, args.seeds[:1], lambda m: None))
                        log(f'  {setting} fold {k}: epoch {per_fold[-1]["epoch"]} lr {per_fold[-1]["lr"]}, '
                            f'test {per_fold[-1]["test"][0]:.2f}')
                    result = {'per_fold': per_fold, 'test': [f['test'][0] for f in per_fold],
                              'dev': [f['dev'][0] for f in per_fold]}
                else:
                    result = evaluate(tasks[0], setting, vectors, args.seeds, log)
                results[name][setting] = summarise(result, [n for n in ('dev', 'test', 'contrast') if n in result])
                figures = results[name][setting]
                log(f'{name} {setting}: ' + ', '.join(f'{n} {figures[n + "_mean_std"]}'
                                                      for n in ('dev', 'test', 'contrast') if n in figures))
    results.setdefault('seconds', {})[' '.join(args.tasks) + ': ' + ' '.join(settings)] = round(time.time() - start)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1)
    print_table(results)


if __name__ == '__main__':
    main()
