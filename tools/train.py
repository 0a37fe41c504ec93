"""Train a text classifier and export it in attn format v1.

Any labelled text with any number of labels (tools/datasets.py: `text<TAB>label`, `label<TAB>text`,
`label<SPACE>text`, or one file per label as LABEL=PATH). Held-out data either comes as --dev/--test files
(training texts that are also dev/test texts are removed) or is split off the training data after identical
texts are merged: a stratified dev/test split, or --folds K --fold I for cross-validation. The epoch with the
best dev accuracy (or macro-F1) is kept; test figures are those of that epoch.

Without --train: the bundled SST-2 model's data, read-only and never copied into the repository:
  train: GLUE SST-2 train.tsv (header `sentence<TAB>label`; phrases and sentences of the SST train split)
  dev:   Kim (2014) stsa.binary.dev  (`label<SPACE>sentence`), picks the epoch
  test:  Kim (2014) stsa.binary.test (1,821 sentences)
Kim's files write `-lrb-` / `-rrb-` where GLUE writes `(` `)`; every text is normalised the same way (brackets,
white space collapsed) before deduplication and the overlap check.

The bundled models (from the repository root; see tools/README.md for the others):
  /usr/bin/python3 tools/train.py --out models/sst2-sentiment.json --pretrained none --embedding-init-std 0 \
      --patience 0 --d-model 64 --heads 4 --layers 1 --ffn 256 \
      --dropout 0.3 --embedding-dropout 0.3 --word-dropout 0.1 --lr 2e-3 --batch-size 64 --epochs 6 --threads 1
"""
import argparse
import json
import os
import random
import sys
import time
from datetime import datetime, timezone

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import allocator  # noqa: E402
import datasets  # noqa: E402
import paths  # noqa: E402
from attn_model import DEFAULT_VARIANT, VARIANT_CHOICES, AttnClassifier, pad_batch  # noqa: E402
from attn_tokenizer import Tokenizer  # noqa: E402
from corpus import read_vocab  # noqa: E402
from export import export_model, load_model  # noqa: E402
from vocab import build_vocab, tokenizer_spec  # noqa: E402

DATA = paths.data('sst2')
# The bundled SST-2 model's data, used when --train is not given (see the module doc).
SST2_PRESET = {'train': [f'{DATA}/glue/train.tsv'], 'data_format': 'text-tab-label',
               'dev': f'{DATA}/kim2014/stsa.binary.dev', 'test': f'{DATA}/kim2014/stsa.binary.test',
               'held_out_format': 'label-space-text', 'label_names': '0=negative,1=positive',
               'task': 'SST-2 binary sentiment'}


# Written by `pretrain.py --export-encoder`; without it the default is to train from scratch.
DEFAULT_ENCODER = os.path.join(paths.pretrain_dir(), 'encoder.pt')
# The defaults: one recipe for fine-tuning the pre-trained encoder (used unchanged on every data set of the
# README's pre-training table), one for training from scratch (--pretrained none), where a small model with heavy
# dropout and small initial embeddings is what generalises from a few thousand texts.
RECIPES = {
    'pretrained': dict(max_length=128, dropout=0.1, embedding_dropout=0.0, word_dropout=0.0, lr=5e-4,
                       batch_size=32, epochs=3),
    'scratch': dict(d_model=64, heads=4, layers=1, ffn=256, max_length=64, dropout=0.3, embedding_dropout=0.3,
                    word_dropout=0.1, embedding_init_std=0.1, lr=2e-3, batch_size=64, epochs=6),
}


def make_batches(examples, batch_size, rng, shuffle=True):
    """Length-bucketed batches: shuffle, sort chunks of 50 batches by length, shuffle the batches.

    examples: list of (ids, label) -> list of lists of indices.
    """
    order = list(range(len(examples)))
    if shuffle:
        rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(examples[i][0]))
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches


LONG_TEXT_POLICIES = ('keep-start', 'keep-ends', 'window')  # attn's --long-text, as truncate() applies them


def truncate(ids, max_length, policy):
    """The tokens attn classifies for a text with --long-text keep-start or keep-ends (docs/long-texts.md);
    with window, the whole text (cut into windows when it is batched: window_starts, random_window)."""
    if len(ids) <= max_length or policy == 'window':
        return ids
    if policy == 'keep-ends':
        head = (max_length + 1) // 2
        return ids[:head] + ids[len(ids) - (max_length - head):]
    return ids[:max_length]


def window_starts(n, window, stride):
    """Starts of attn's windows over n > window tokens: 0, stride, ... and one ending at the last token."""
    starts = [0]
    while starts[-1] + window < n:
        starts.append(min(starts[-1] + stride, n - window))
    return starts


def random_window(ids, max_length, rng):
    """Training view of a long text under --long-text window: one window at a random start, new every epoch."""
    if len(ids) <= max_length:
        return ids
    start = rng.randrange(len(ids) - max_length + 1)
    return ids[start:start + max_length]


def word_dropout(ids, p, unk_id, pad_id, generator):
    """Replace each real token by [UNK] with probability p (ids [B, L])."""
    if p <= 0:
        return ids
    hit = (torch.rand(ids.shape, generator=generator) < p) & ids.ne(pad_id)
    return torch.where(hit, torch.full_like(ids, unk_id), ids)


@torch.no_grad()
def predict(model, examples, pad_id, batch_size=256):
    """-> predicted label index of every example, in order. An example longer than the model's max_length
    (--long-text window) is classified as attn classifies it: the mean of its windows' probabilities, windows
    max_length tokens long and max_length / 2 apart."""
    model.eval()
    window = model.config['max_length']
    pieces, owner = [], []  # every window (or whole text) to run, and the example it belongs to
    for k, (ids, y) in enumerate(examples):
        starts = window_starts(len(ids), window, max(1, window // 2)) if len(ids) > window else [0]
        pieces += [(ids[s:s + window], y) for s in starts]
        owner += [k] * len(starts)
    sums = torch.zeros(len(examples), model.classifier.out_features)
    for batch in make_batches(pieces, batch_size, None, shuffle=False):
        ids = pad_batch([pieces[i][0] for i in batch], pad_id)
        sums.index_add_(0, torch.tensor([owner[i] for i in batch]), model(ids).softmax(dim=-1))
    return sums.argmax(dim=-1).tolist()


def metrics(model, examples, pad_id, labels):
    """Accuracy, macro-F1 (in %), per-label precision/recall/F1/support and the confusion matrix
    (rows: true label, columns: predicted), as `attn eval` reports them."""
    if not examples:
        return None
    n = len(labels)
    confusion = [[0] * n for _ in range(n)]
    for (_, y), p in zip(examples, predict(model, examples, pad_id)):
        confusion[y][p] += 1
    per_label = {}
    for k, name in enumerate(labels):
        tp = confusion[k][k]
        predicted = sum(confusion[j][k] for j in range(n))
        support = sum(confusion[k])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[name] = {'precision': round(100 * precision, 2), 'recall': round(100 * recall, 2),
                           'f1': round(100 * f1, 2), 'support': support}
    correct = sum(confusion[k][k] for k in range(n))
    return {'accuracy': round(100.0 * correct / len(examples), 2),
            'macro_f1': round(sum(v['f1'] for v in per_label.values()) / n, 2),
            'per_label': per_label, 'confusion': confusion, 'count': len(examples)}


def load_data(args):
    """-> (train_rows, dev_rows, test_rows, labels, description) from the flags; rows are (text, label index)."""
    train_rows = datasets.read_all(args.train, args.data_format)
    held_format = args.held_out_format or args.data_format
    if args.dev and not args.test:
        raise SystemExit('--dev needs --test (or give neither: then both are split off --train)')
    if args.test:
        test_rows = datasets.read_rows(args.test, held_format)
        held_out = {t for t, _ in test_rows}
        if args.dev:
            dev_rows = datasets.read_rows(args.dev, held_format)
            held_out |= {t for t, _ in dev_rows}
        train_rows, stats = datasets.dedupe(train_rows, held_out)
        if args.dev:
            split = f'dev {args.dev}, test {args.test}; training texts that are dev/test texts removed'
        else:
            train_rows, dev_rows = datasets.stratified_split(train_rows, args.dev_fraction, args.split_seed)
            split = (f'test {args.test}; dev: a stratified {args.dev_fraction:g} of the training rows (seed '
                     f'{args.split_seed}); training texts that are test texts removed')
    else:
        rows, stats = datasets.dedupe(train_rows)
        if args.folds:
            if not 0 <= args.fold < args.folds:
                raise SystemExit(f'--fold {args.fold} is not in 0..{args.folds - 1}')
            folds = datasets.stratified_folds(rows, args.folds, args.split_seed)
            test_rows = folds[args.fold]
            rest = [r for i, f in enumerate(folds) if i != args.fold for r in f]
            train_rows, dev_rows = datasets.stratified_split(rest, args.dev_fraction, args.split_seed + 1)
            split = (f'fold {args.fold} of {args.folds} stratified folds (seed {args.split_seed}) is the test set; '
                     f'dev: a stratified {args.dev_fraction:g} of the other folds')
        else:
            train_rows, dev_rows, test_rows = datasets.train_dev_test(rows, args.test_fraction, args.dev_fraction,
                                                                      args.split_seed)
            split = (f'stratified split (seed {args.split_seed}) of the deduplicated rows: test '
                     f'{args.test_fraction:g}, dev {args.dev_fraction:g}, the rest for training; '
                     'identical texts were merged first, so no test text is also a training text')
    if args.label_names:
        pairs = [item.split('=', 1) for item in args.label_names.split(',')]
        if any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
            raise SystemExit(f'--label-names {args.label_names!r}: expected FILE_LABEL=NAME,...')
        names = dict(pairs)
    else:
        names = {label: label for label in sorted({label for _, label in train_rows})}
    labels = list(names.values())
    index = {file_label: labels.index(name) for file_label, name in names.items()}

    def indexed(rows, what):
        unknown = sorted({label for _, label in rows if label not in index})
        if unknown:
            raise SystemExit(f'{what}: labels {unknown} are not among the training labels {sorted(index)}')
        return [(text, index[label]) for text, label in rows]
    description = {'train': args.train, 'data_format': args.data_format, 'split': split, 'train_rows': stats}
    return (indexed(train_rows, 'train'), indexed(dev_rows, 'dev'), indexed(test_rows, 'test'), labels,
            description)


def load_pretrained(args):
    """--pretrained checkpoint (tools/pretrain.py) -> its dict, after setting the architecture flags from it;
    None without one."""
    if args.pretrained == 'none':
        return None
    if not os.path.exists(args.pretrained):
        raise SystemExit(f'{args.pretrained}: no pre-trained encoder there (tools/pretrain.py writes one; '
                         '--pretrained none trains from scratch)')
    ckpt = torch.load(args.pretrained, map_location='cpu')
    cfg = ckpt['config']
    args.d_model, args.heads = cfg['d_model'], cfg['num_heads']
    args.layers, args.ffn = cfg['num_layers'], cfg['ffn_dim']
    args.norm_placement = cfg['norm_placement']
    print(f'pre-trained encoder {args.pretrained}: step {ckpt["step"]}, d_model {args.d_model}, '
          f'{args.layers} layers, {len(ckpt["tokenizer"]["vocab"])} vocabulary entries', flush=True)
    return ckpt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = ap.add_argument_group('data (default: the SST-2 files of the bundled model)')
    data.add_argument('--train', nargs='+', metavar='SPEC',
                      help='training files in --data-format, or LABEL=PATH (every line of PATH has LABEL)')
    data.add_argument('--data-format', choices=datasets.FORMATS, default='text-tab-label')
    data.add_argument('--dev', help='dev file (picks the epoch); without --dev/--test both are split off --train')
    data.add_argument('--test', help='test file, reported for the chosen epoch only')
    data.add_argument('--held-out-format', choices=datasets.FORMATS, help='format of --dev/--test (default: --data-format)')
    data.add_argument('--label-names', help='FILE_LABEL=NAME,... in the order of the model head (default: sorted)')
    data.add_argument('--test-fraction', type=float, default=0.1, help='stratified test split without --test')
    data.add_argument('--dev-fraction', type=float, default=0.1, help='stratified dev split without --dev')
    data.add_argument('--folds', type=int, default=0, help='cross-validation: the test set is fold --fold of these')
    data.add_argument('--fold', type=int, default=0)
    data.add_argument('--split-seed', type=int, default=1)
    data.add_argument('--task', help='what the model does, for its metadata')
    data.add_argument('--select-by', choices=('accuracy', 'macro_f1'), default='accuracy',
                      help='dev metric that picks the epoch')
    out = ap.add_argument_group('output')
    out.add_argument('--out', help='model file to write (format v1 JSON); required unless --no-export')
    out.add_argument('--no-export', action='store_true', help='train and report only (cross-validation folds)')
    out.add_argument('--metrics-out', help='write the chosen epoch\'s dev and test metrics here as JSON')
    out.add_argument('--write-splits', metavar='DIR', help='write train/dev/test.tsv (label<TAB>text) here')
    ap.add_argument('--pretrained', metavar='CHECKPOINT',
                    help='pre-trained encoder to start from (default: encoder.pt in the pre-training directory, '
                         'written by tools/pretrain.py --export-encoder, when it exists); its vocabulary and '
                         'architecture replace the flags below; "none" trains from scratch with the small-model '
                         'recipe')
    ap.add_argument('--init-embeddings', metavar='VECTORS.npy',
                    help='with --pretrained none: start the embedding from these word vectors of the '
                         'pre-training vocabulary (tools/skipgram_vectors.py), which then replaces the built one')
    ap.add_argument('--d-model', type=int)
    ap.add_argument('--heads', type=int)
    ap.add_argument('--layers', type=int)
    ap.add_argument('--ffn', type=int)
    ap.add_argument('--max-length', type=int)
    ap.add_argument('--long-text', choices=LONG_TEXT_POLICIES, default='keep-start',
                    help='which tokens of a longer text the model sees (use the same with attn --long-text): '
                         'window trains on a random window of each long text every epoch and scores dev and '
                         'test by the mean over windows max_length / 2 apart, as attn does')
    ap.add_argument('--dropout', type=float, help='dropout inside the layers and before the head')
    ap.add_argument('--embedding-dropout', type=float, help='dropout on embedding+position')
    ap.add_argument('--word-dropout', type=float, help='chance of replacing a token by [UNK]')
    ap.add_argument('--embedding-init-std', type=float,
                    help='std of the normal init of token embeddings (0: PyTorch default, 1.0)')
    ap.add_argument('--lr', type=float)
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--warmup', type=float, default=0.1, help='fraction of steps with linear warm-up')
    ap.add_argument('--label-smoothing', type=float, default=0.0)
    ap.add_argument('--epochs', type=int)
    ap.add_argument('--patience', type=int, default=2,
                    help='stop after this many epochs without a better dev score (0: run every epoch)')
    ap.add_argument('--batch-size', type=int)
    ap.add_argument('--min-count', type=int, default=1, help='vocabulary: least count of a whole word')
    ap.add_argument('--max-words', type=int, default=20000, help='vocabulary: most whole words')
    ap.add_argument('--max-params', type=int, default=5_000_000)
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--threads', type=int, default=2)
    # Architecture variants (docs/model-format.md); the defaults are the bundled model's.
    for key, choices in VARIANT_CHOICES.items():
        if key == 'causal':
            ap.add_argument('--causal', action='store_true', help='token i attends only to tokens 0..i')
        else:
            ap.add_argument('--' + key.replace('_', '-'), choices=choices, default=DEFAULT_VARIANT[key])
    args = ap.parse_args()
    if args.pretrained is None:
        args.pretrained = DEFAULT_ENCODER if os.path.exists(DEFAULT_ENCODER) else 'none'
        print(f'pre-trained encoder: {args.pretrained} (the default; {DEFAULT_ENCODER} '
              f'{"is there" if args.pretrained != "none" else "is not there: training from scratch"})', flush=True)
    recipe = RECIPES['scratch' if args.pretrained == 'none' else 'pretrained']
    for key, value in recipe.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not args.out and not args.no_export:
        ap.error('--out FILE is required (or --no-export)')

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    # Adam's moment estimates of rarely seen embedding rows decay into float32 subnormals, which are very slow
    # on x86; flushing them to zero changes nothing measurable and keeps every step fast.
    torch.set_flush_denormal(True)
    started = time.time()

    if args.train is None:
        for key, value in SST2_PRESET.items():
            if getattr(args, key) is None or key == 'data_format':
                setattr(args, key, value)
    train_rows, dev_rows, test_rows, labels, data_description = load_data(args)
    stats = data_description['train_rows']
    print(f'train: {stats["rows"]} rows, {stats["duplicates_removed"]} duplicate rows removed, '
          f'{stats["conflicting_label_rows_removed"]} rows with conflicting labels removed, '
          f'{stats["held_out_overlap_removed"]} rows removed because their text is a dev/test text '
          f'({stats["held_out_overlap_raw_rows"]} raw rows); {len(train_rows)} train, dev {len(dev_rows)}, '
          f'test {len(test_rows)}; labels {labels}', flush=True)
    if args.write_splits:
        os.makedirs(args.write_splits, exist_ok=True)
        for name, rows in (('train', train_rows), ('dev', dev_rows), ('test', test_rows)):
            datasets.write_rows([(t, labels[y]) for t, y in rows], os.path.join(args.write_splits, name + '.tsv'))

    pretrained = load_pretrained(args)
    vectors = None
    if pretrained:
        spec = pretrained['tokenizer']
        vocab = spec['vocab']
    elif args.init_embeddings:
        # Word vectors of the pre-training corpus's vocabulary (tools/skipgram_vectors.py): row i is entry i.
        vocab = read_vocab(os.path.join(paths.pretrain_dir(), 'vocab.txt'))
        spec = tokenizer_spec(vocab)
        vectors = torch.from_numpy(np.load(args.init_embeddings)).float()
        if tuple(vectors.shape) != (len(vocab), args.d_model):
            raise SystemExit(f'{args.init_embeddings}: shape {tuple(vectors.shape)}, expected '
                             f'[{len(vocab)}, {args.d_model}] (the corpus vocabulary by --d-model)')
    else:
        vocab = build_vocab([t for t, _ in train_rows], min_count=args.min_count, max_words=args.max_words)
        spec = tokenizer_spec(vocab)
    tok = Tokenizer(spec)

    def encode(rows):
        """-> (examples with the ids the model sees, how many texts were longer)."""
        full = [(tok.encode(t), y) for t, y in rows]
        return ([(truncate(ids, args.max_length, args.long_text), y) for ids, y in full],
                sum(len(ids) > args.max_length for ids, _ in full))
    (train, _), (dev, dev_long), (test, test_long) = encode(train_rows), encode(dev_rows), encode(test_rows)
    truncated = dev_long + test_long
    unk = sum(i == tok.unk_id for ids, _ in dev + test for i in ids)
    print(f'vocab {len(vocab)}; dev+test: {truncated} inputs truncated, {unk} [UNK] tokens', flush=True)

    model = AttnClassifier(len(vocab), len(labels), d_model=args.d_model, num_heads=args.heads,
                           num_layers=args.layers, ffn_dim=args.ffn, max_length=args.max_length,
                           dropout=args.dropout, pad_id=tok.pad_id,
                           **{key: getattr(args, key) for key in VARIANT_CHOICES})
    if pretrained:
        missing, unexpected = model.load_state_dict(pretrained['encoder'], strict=False)
        if unexpected or any(not k.startswith(('classifier.', 'pooling_query')) for k in missing):
            raise SystemExit(f'{args.pretrained}: missing {missing}, unexpected {unexpected}')
    elif vectors is not None:
        with torch.no_grad():
            # Scaled to the std of the sinusoid's dimensions (about 0.7), so neither drowns the other.
            model.embedding.weight.copy_(vectors * (0.7 / vectors.std().clamp(min=1e-6)))
    elif args.embedding_init_std > 0:
        # With N(0, 1) rows a rare word's vector stays mostly random noise, since each occurrence moves it by
        # about lr; a small init lets rare words start near zero and keeps the sinusoid visible (no scaling).
        nn.init.normal_(model.embedding.weight, std=args.embedding_init_std)
    params = sum(p.numel() for p in model.parameters())
    print(f'parameters: {params}', flush=True)
    if params > args.max_params:
        raise SystemExit(f'{params} parameters exceeds --max-params {args.max_params}')

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay},
                             {'params': no_decay, 'weight_decay': 0.0}], lr=args.lr)
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = len(make_batches(train, args.batch_size, random.Random(0)))
    total = steps_per_epoch * args.epochs
    warmup = max(1, int(args.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    emb_drop = nn.Dropout(args.embedding_dropout) if args.embedding_dropout > 0 else None

    best = None
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.time()
        total_loss = 0.0
        seen = [(random_window(ids, args.max_length, rng), y) for ids, y in train]
        for step, batch in enumerate(make_batches(seen, args.batch_size, rng)):
            ids = pad_batch([seen[i][0] for i in batch], tok.pad_id)
            ids = word_dropout(ids, args.word_dropout, tok.unk_id, tok.pad_id, gen)
            y = torch.tensor([train[i][1] for i in batch])
            loss = loss_fn(model(ids, emb_drop), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total_loss += loss.item()
            if (step + 1) % 200 == 0:
                print(f'  step {step + 1}/{steps_per_epoch} loss {total_loss / (step + 1):.4f} '
                      f'({time.time() - t0:.0f}s)', flush=True)
        # The test set is scored once, for the chosen epoch: it plays no part in choosing.
        dev_m = metrics(model, dev, tok.pad_id, labels)
        history.append({'epoch': epoch, 'train_loss': round(total_loss / steps_per_epoch, 4),
                        'dev_accuracy': dev_m['accuracy'], 'dev_macro_f1': dev_m['macro_f1']})
        print(f'epoch {epoch}: loss {total_loss / steps_per_epoch:.4f} dev {dev_m["accuracy"]:.2f} '
              f'(macro-F1 {dev_m["macro_f1"]:.2f}) ({time.time() - t0:.0f}s)', flush=True)
        score = dev_m[args.select_by]
        if best is None or score > best['score']:  # ties keep the earlier epoch
            best = {'epoch': epoch, 'score': score,
                    'state': {k: v.detach().clone() for k, v in model.state_dict().items()}}
        elif args.patience and epoch - best['epoch'] >= args.patience:
            print(f'no better dev {args.select_by} for {args.patience} epochs: stopping', flush=True)
            break

    model.load_state_dict(best['state'])
    model.eval()
    # Recompute from the restored weights so the recorded figures are those of the exported model.
    dev_m, test_m = metrics(model, dev, tok.pad_id, labels), metrics(model, test, tok.pad_id, labels)
    elapsed = time.time() - started
    print(f'chosen epoch {best["epoch"]} by dev {args.select_by}: dev {dev_m["accuracy"]:.2f} '
          f'test {test_m["accuracy"]:.2f} (macro-F1 {test_m["macro_f1"]:.2f}); {elapsed / 60:.1f} min', flush=True)
    for name, m in test_m['per_label'].items():
        print(f'  test {name}: precision {m["precision"]:.2f} recall {m["recall"]:.2f} F1 {m["f1"]:.2f} '
              f'(support {m["support"]})', flush=True)

    results = {'task': args.task, 'labels': labels, 'chosen_epoch': best['epoch'], 'selected_by': args.select_by,
               'dev': dev_m, 'test': test_m, 'parameters': params, 'training_minutes': round(elapsed / 60, 1)}
    if args.metrics_out:
        with open(args.metrics_out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1)
    if args.no_export:
        return

    metadata = paths.portable({
        'task': args.task or 'text classification',
        'created': datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'command': ' '.join(['tools/train.py'] + sys.argv[1:]),
        'arguments': vars(args),
        'train_data': args.train,
        'dev_data': args.dev,
        'test_data': args.test,
        'split': data_description['split'],
        'train_rows': stats,
        'text_normalisation': 'Kim -lrb-/-rrb- mapped to ( ); white space collapsed',
        'dev_accuracy': dev_m['accuracy'],
        'test_accuracy': test_m['accuracy'],
        'test_macro_f1': test_m['macro_f1'],
        'test_per_label': test_m['per_label'],
        'dev_sentences': len(dev), 'test_sentences': len(test),
        'chosen_epoch': best['epoch'],
        'epochs': args.epochs,
        'history': history,
        'parameters': params,
        'seed': args.seed,
        'training_minutes': round(elapsed / 60, 1),
        'torch_version': torch.__version__,
    })
    out_dir = os.path.dirname(args.out)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    size = export_model(model, spec, labels, args.out, metadata)
    print(f'wrote {args.out} ({size / 1e6:.1f} MB)', flush=True)

    # The file must reproduce the trained model: same logits on the dev set after loading it back.
    loaded, _, _ = load_model(args.out)
    with torch.no_grad():
        dev_ids = pad_batch([ids[:args.max_length] for ids, _ in dev], tok.pad_id)
        diff = float((model(dev_ids) - loaded(dev_ids)).abs().max())
    print(f'reloaded {args.out}: max |logit difference| on dev {diff:.3g}', flush=True)
    if diff > 1e-5:
        raise SystemExit('exported model does not reproduce the trained model')


if __name__ == '__main__':
    allocator.reexec_with_jemalloc()
    main()
