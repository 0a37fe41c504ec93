"""Train the bundled SST-2 sentiment model and export it in attn format v1.

Data (read-only, never copied into the repository):
  train: GLUE SST-2 train.tsv (header `sentence<TAB>label`; phrases and sentences of the SST train split)
  dev:   Kim (2014) stsa.binary.dev  (`label<SPACE>sentence`), picks the epoch
  test:  Kim (2014) stsa.binary.test (1,821 sentences), reported for the chosen epoch only
Bracket convention: Kim's files write `-lrb-` / `-rrb-`, GLUE writes `(` `)`. We map Kim's escapes to `(` `)`,
so train, dev and test see the same tokens and the model sees brackets the way a user types them.
Every text is normalised the same way (brackets, white space collapsed) before deduplication and before the
overlap check: training rows whose text is also a dev or test sentence are removed.

The bundled model (from the repository root; see tools/README.md):
  /usr/bin/python3 tools/train.py --out models/sst2-sentiment.json --d-model 64 --heads 4 --layers 1 --ffn 256 \
      --dropout 0.3 --embedding-dropout 0.3 --word-dropout 0.1 --lr 2e-3 --batch-size 64 --epochs 6 --threads 1
"""
import argparse
import math
import os
import random
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_model import DEFAULT_VARIANT, VARIANT_CHOICES, AttnClassifier, pad_batch  # noqa: E402
from attn_tokenizer import Tokenizer  # noqa: E402
from export import export_model, load_model  # noqa: E402
from vocab import build_vocab, tokenizer_spec  # noqa: E402

LABELS = ['negative', 'positive']
DATA = '/work/shared/data/sst2'


def normalise(text):
    return ' '.join(text.replace('-lrb-', '(').replace('-rrb-', ')').split())


def read_glue(path):
    """-> list of (text, label) from a GLUE tsv with a `sentence<TAB>label` header."""
    with open(path, encoding='utf-8') as f:
        header = f.readline().rstrip('\n').split('\t')
        if header != ['sentence', 'label']:
            raise ValueError(f'{path}: unexpected header {header}')
        rows = []
        for line in f:
            text, label = line.rstrip('\n').split('\t')
            rows.append((normalise(text), int(label)))
    return rows


def read_kim(path):
    """-> list of (text, label) from a Kim `label sentence` file."""
    rows = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            label, text = line.rstrip('\n').split(' ', 1)
            rows.append((normalise(text), int(label)))
    return rows


def clean_train(rows, held_out_texts):
    """Dedupe (text, label) rows, drop texts seen with both labels and texts that are dev/test sentences."""
    unique = list(dict.fromkeys(rows))
    labels = defaultdict(set)
    for text, label in unique:
        labels[text].add(label)
    conflicting = {t for t, ls in labels.items() if len(ls) > 1}
    held = [r for r in unique if r[0] in held_out_texts]
    out = [r for r in unique if r[0] not in conflicting and r[0] not in held_out_texts]
    stats = {'rows': len(rows), 'duplicates_removed': len(rows) - len(unique),
             'conflicting_label_rows_removed': sum(1 for r in unique if r[0] in conflicting),
             'dev_test_overlap_removed': len(held), 'rows_used': len(out)}
    # Rows removed for overlap, counting every raw occurrence (duplicates included).
    stats['dev_test_overlap_raw_rows'] = sum(1 for r in rows if r[0] in held_out_texts)
    return out, stats


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


def word_dropout(ids, p, unk_id, pad_id, generator):
    """Replace each real token by [UNK] with probability p (ids [B, L])."""
    if p <= 0:
        return ids
    hit = (torch.rand(ids.shape, generator=generator) < p) & ids.ne(pad_id)
    return torch.where(hit, torch.full_like(ids, unk_id), ids)


@torch.no_grad()
def accuracy(model, examples, pad_id, batch_size=256):
    model.eval()
    correct = 0
    for batch in make_batches(examples, batch_size, None, shuffle=False):
        ids = pad_batch([examples[i][0] for i in batch], pad_id)
        pred = model(ids).argmax(dim=-1)
        correct += sum(int(p == examples[i][1]) for p, i in zip(pred.tolist(), batch))
    return 100.0 * correct / len(examples)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--train', default=f'{DATA}/glue/train.tsv')
    ap.add_argument('--dev', default=f'{DATA}/kim2014/stsa.binary.dev')
    ap.add_argument('--test', default=f'{DATA}/kim2014/stsa.binary.test')
    ap.add_argument('--out', default='models/sst2-sentiment.json')
    ap.add_argument('--d-model', type=int, default=128)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--layers', type=int, default=2)
    ap.add_argument('--ffn', type=int, default=512)
    ap.add_argument('--max-length', type=int, default=64)
    ap.add_argument('--dropout', type=float, default=0.1, help='dropout inside the layers and before the head')
    ap.add_argument('--embedding-dropout', type=float, default=0.0, help='dropout on embedding+position')
    ap.add_argument('--word-dropout', type=float, default=0.0, help='chance of replacing a token by [UNK]')
    ap.add_argument('--embedding-init-std', type=float, default=0.0,
                    help='std of the normal init of token embeddings (0: PyTorch default, 1.0)')
    ap.add_argument('--lr', type=float, default=5e-4)
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--warmup', type=float, default=0.1, help='fraction of steps with linear warm-up')
    ap.add_argument('--label-smoothing', type=float, default=0.0)
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--batch-size', type=int, default=64)
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

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    # Adam's moment estimates of rarely seen embedding rows decay into float32 subnormals, which are very slow
    # on x86; flushing them to zero changes nothing measurable and keeps every step fast.
    torch.set_flush_denormal(True)
    started = time.time()

    dev_rows, test_rows = read_kim(args.dev), read_kim(args.test)
    held_out = {t for t, _ in dev_rows} | {t for t, _ in test_rows}
    train_rows, stats = clean_train(read_glue(args.train), held_out)
    print(f'train: {stats["rows"]} rows, {stats["duplicates_removed"]} duplicate rows removed, '
          f'{stats["conflicting_label_rows_removed"]} rows with conflicting labels removed, '
          f'{stats["dev_test_overlap_removed"]} rows removed because their text is a dev/test sentence '
          f'({stats["dev_test_overlap_raw_rows"]} raw rows), {stats["rows_used"]} used; '
          f'dev {len(dev_rows)}, test {len(test_rows)}', flush=True)

    vocab = build_vocab([t for t, _ in train_rows], min_count=args.min_count, max_words=args.max_words)
    spec = tokenizer_spec(vocab)
    tok = Tokenizer(spec)

    def encode(rows):
        return [(tok.encode(t, args.max_length), y) for t, y in rows]
    train, dev, test = encode(train_rows), encode(dev_rows), encode(test_rows)
    truncated = sum(len(tok.tokenize(t)) > args.max_length for t, _ in dev_rows + test_rows)
    unk = sum(i == tok.unk_id for ids, _ in dev + test for i in ids)
    print(f'vocab {len(vocab)}; dev+test: {truncated} inputs truncated, {unk} [UNK] tokens', flush=True)

    model = AttnClassifier(len(vocab), len(LABELS), d_model=args.d_model, num_heads=args.heads,
                           num_layers=args.layers, ffn_dim=args.ffn, max_length=args.max_length,
                           dropout=args.dropout, pad_id=tok.pad_id,
                           **{key: getattr(args, key) for key in VARIANT_CHOICES})
    if args.embedding_init_std > 0:
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
        for step, batch in enumerate(make_batches(train, args.batch_size, rng)):
            ids = pad_batch([train[i][0] for i in batch], tok.pad_id)
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
        dev_acc = accuracy(model, dev, tok.pad_id)
        test_acc = accuracy(model, test, tok.pad_id)
        history.append({'epoch': epoch, 'train_loss': round(total_loss / steps_per_epoch, 4),
                        'dev_accuracy': round(dev_acc, 2), 'test_accuracy': round(test_acc, 2)})
        print(f'epoch {epoch}: loss {total_loss / steps_per_epoch:.4f} dev {dev_acc:.2f} test {test_acc:.2f} '
              f'({time.time() - t0:.0f}s)', flush=True)
        if best is None or dev_acc > best['dev']:  # ties keep the earlier epoch
            best = {'epoch': epoch, 'dev': dev_acc, 'test': test_acc,
                    'state': {k: v.detach().clone() for k, v in model.state_dict().items()}}

    model.load_state_dict(best['state'])
    model.eval()
    # Recompute from the restored weights so the recorded figures are those of the exported model.
    dev_acc, test_acc = accuracy(model, dev, tok.pad_id), accuracy(model, test, tok.pad_id)
    elapsed = time.time() - started
    print(f'chosen epoch {best["epoch"]} by dev accuracy: dev {dev_acc:.2f} test {test_acc:.2f}; '
          f'{elapsed / 60:.1f} min', flush=True)

    metadata = {
        'task': 'SST-2 binary sentiment',
        'created': datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'command': ' '.join(['tools/train.py'] + sys.argv[1:]),
        'arguments': vars(args),
        'train_data': args.train,
        'dev_data': args.dev,
        'test_data': args.test,
        'train_rows': stats,
        'text_normalisation': 'Kim -lrb-/-rrb- mapped to ( ); white space collapsed',
        'dev_accuracy': round(dev_acc, 2),
        'test_accuracy': round(test_acc, 2),
        'dev_sentences': len(dev), 'test_sentences': len(test),
        'chosen_epoch': best['epoch'],
        'epochs': args.epochs,
        'history': history,
        'parameters': params,
        'seed': args.seed,
        'training_minutes': round(elapsed / 60, 1),
        'torch_version': torch.__version__,
    }
    out_dir = os.path.dirname(args.out)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    size = export_model(model, spec, LABELS, args.out, metadata)
    print(f'wrote {args.out} ({size / 1e6:.1f} MB)', flush=True)

    # The file must reproduce the trained model: same logits on the dev set after loading it back.
    loaded, _, _ = load_model(args.out)
    with torch.no_grad():
        dev_ids = pad_batch([ids for ids, _ in dev], tok.pad_id)
        diff = float((model(dev_ids) - loaded(dev_ids)).abs().max())
    print(f'reloaded {args.out}: max |logit difference| on dev {diff:.3g}', flush=True)
    if diff > 1e-5:
        raise SystemExit('exported model does not reproduce the trained model')


if __name__ == '__main__':
    main()
