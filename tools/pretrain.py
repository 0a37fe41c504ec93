"""Masked-language-model pre-training of the encoder attn runs, on the unlabelled corpus of tools/corpus.py.

The encoder is attn_model.AttnClassifier's (embedding + positions + encoder layers); an MLM head (dense, GELU,
layer norm, then the embedding matrix transposed plus a bias) predicts masked tokens and is dropped at
fine-tuning. Each text is cut into segments of at most --seq-len tokens. Of every segment's tokens 15 % are
chosen; 80 % of those become [MASK], 10 % a random token, 10 % stay; the loss is on the chosen ones only.

Resumable and deterministic for a seed and thread count: the order of segments is a seeded permutation per
epoch, the masks and dropout of step s come from generators seeded with (seed, s), and a checkpoint (model,
optimiser, step, loss curve) is written atomically every --checkpoint-minutes, and at the end. Running the same
command again resumes from the checkpoint; --minutes bounds one sitting, --until STEP ends it at that step (so
that an unfinished run's encoder can be exported at a step anyone can reach again), --steps the whole run (the
learning rate warms up over --warmup steps and decays linearly to zero at --steps).

  /usr/bin/python3 tools/pretrain.py --run mlm --threads 1     # about 65 minutes on one free core

Outputs in <pretrain dir>/<run>/: checkpoint.pt (what train.py --pretrained takes), log.jsonl (one line per
--log-every steps: step, loss, tokens/s, learning rate, minutes).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import allocator  # noqa: E402
import paths  # noqa: E402
from attn_model import AttnClassifier, pad_batch  # noqa: E402
from corpus import MASK, read_vocab  # noqa: E402
from vocab import tokenizer_spec  # noqa: E402


class MaskedLM(nn.Module):
    """encoder [B, L] ids -> hidden states [B, L, d]; head: states of the chosen positions [M, d] -> logits [M, V]."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        d = encoder.config['d_model']
        self.transform = nn.Linear(d, d)
        self.norm = nn.LayerNorm(d, eps=encoder.config['layer_norm_eps'])
        self.bias = nn.Parameter(torch.zeros(encoder.config['vocab_size']))

    def hidden(self, ids):
        x, pad_mask = self.encoder.embed(ids)
        for layer in self.encoder.layers:
            x = layer(x, src_key_padding_mask=pad_mask)
        if self.encoder.final_norm is not None:
            x = self.encoder.final_norm(x)
        return x

    def forward(self, ids, positions):
        """positions: bool [B, L], the chosen tokens -> logits [M, V] in row-major order of positions."""
        h = self.hidden(ids)[positions]
        h = self.norm(nn.functional.gelu(self.transform(h)))
        # attn adds positions to unscaled embeddings, so rows start at std 1 to be heard over the sinusoid
        # (Vaswani et al. scale std d^-0.5 rows by sqrt(d) instead); dividing by sqrt(d) here gives the tied
        # output layer logits of std about 1 at the start, as their unscaled output matrix does.
        return h @ self.encoder.embedding.weight.t() / math.sqrt(h.size(-1)) + self.bias


def segments(offsets, seq_len):
    """-> int64 [S, 2] (start, length) of every segment: each text cut into pieces of at most seq_len tokens."""
    out = []
    for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist()):
        for s in range(start, end, seq_len):
            out.append((s, min(seq_len, end - s)))
    return np.array(out, dtype=np.int64)


def mask_batch(ids, pad_id, mask_id, vocab_size, first_word_id, generator, rate=0.15):
    """ids [B, L] -> (inputs [B, L], chosen bool [B, L], targets [M])."""
    real = ids.ne(pad_id)
    chosen = (torch.rand(ids.shape, generator=generator) < rate) & real
    targets = ids[chosen]
    roll = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = mask_id
    random_tokens = torch.randint(first_word_id, vocab_size, ids.shape, generator=generator)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = random_tokens[swap]
    return inputs, chosen, targets


def export_encoder(checkpoint, path):
    """The encoder's weights, config, vocabulary and loss curve without the MLM head and the optimiser state."""
    ckpt = torch.load(checkpoint, map_location='cpu')
    keep = ('encoder', 'config', 'tokenizer', 'step', 'history', 'args')
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    save_atomic({k: ckpt[k] for k in keep}, path)
    print(f'wrote {path}: encoder at step {ckpt["step"]} of {ckpt["args"]["steps"]}', flush=True)


def save_atomic(obj, path):
    torch.save(obj, path + '.tmp')
    os.replace(path + '.tmp', path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--run', default='base', help='name of the run (its folder in the pre-training directory)')
    ap.add_argument('--dir', default=paths.pretrain_dir(), help='corpus and runs (default: %(default)s)')
    ap.add_argument('--d-model', type=int, default=128)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--ffn', type=int, default=512)
    ap.add_argument('--norm-placement', choices=('post', 'pre'), default='post')
    ap.add_argument('--seq-len', type=int, default=128)
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=int, default=200)
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--dropout', type=float, default=0.0, help='none by default: one pass over the corpus underfits')
    ap.add_argument('--embedding-init-std', type=float, default=1.0)
    ap.add_argument('--steps', type=int, default=1800,
                    help='length of the whole run, which sets the schedule (3600 is one pass over the corpus)')
    ap.add_argument('--minutes', type=float, default=0, help='stop this sitting after this long (0: no limit)')
    ap.add_argument('--until', type=int, default=0, metavar='STEP',
                    help='stop this sitting at this step (0: --steps), to export the encoder of an unfinished run; '
                         'the schedule stays that of --steps, so running on later gives the same weights')
    ap.add_argument('--checkpoint-minutes', type=float, default=5)
    ap.add_argument('--log-every', type=int, default=20)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--export-encoder', metavar='PATH', nargs='?',
                    const=os.path.join(paths.pretrain_dir(), 'encoder.pt'),
                    help='write the run\'s encoder to PATH (default: encoder.pt in the pre-training directory, '
                         'which train.py starts from by default) and exit')
    args = ap.parse_args()
    if args.export_encoder:
        export_encoder(os.path.join(args.dir, args.run, 'checkpoint.pt'), args.export_encoder)
        return

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.use_deterministic_algorithms(True)
    run_dir = os.path.join(args.dir, args.run)
    os.makedirs(run_dir, exist_ok=True)
    vocab = read_vocab(os.path.join(args.dir, 'vocab.txt'))
    spec = tokenizer_spec(vocab)
    pad_id, mask_id = vocab.index('[PAD]'), vocab.index(MASK)
    first_word_id = mask_id + 1
    ids = torch.from_numpy(np.load(os.path.join(args.dir, 'ids.npy')).astype(np.int64))
    offsets = np.load(os.path.join(args.dir, 'offsets.npy'))
    segs = segments(offsets, args.seq_len)

    config = dict(d_model=args.d_model, num_heads=args.heads, num_layers=args.layers, ffn_dim=args.ffn,
                  max_length=args.seq_len, dropout=args.dropout, pad_id=pad_id,
                  norm_placement=args.norm_placement)
    torch.manual_seed(args.seed)
    encoder = AttnClassifier(len(vocab), 2, **config)
    nn.init.normal_(encoder.embedding.weight, std=args.embedding_init_std)
    model = MaskedLM(encoder)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay},
                             {'params': no_decay, 'weight_decay': 0.0}], lr=args.lr, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / args.warmup, max(0.0, (args.steps - s) / max(1, args.steps - args.warmup))))

    ckpt_path = os.path.join(run_dir, 'checkpoint.pt')
    step, history = 0, []
    if os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path)
        if ckpt['args']['steps'] != args.steps or ckpt['config'] != config:
            raise SystemExit(f'{ckpt_path}: written with other settings; use another --run')
        model.load_state_dict(ckpt['model'])
        opt.load_state_dict(ckpt['optimizer'])
        sched.load_state_dict(ckpt['scheduler'])
        step, history = ckpt['step'], ckpt['history']
        print(f'resuming {args.run} at step {step}/{args.steps}', flush=True)
    params = sum(p.numel() for p in encoder.parameters()) - sum(p.numel() for p in encoder.classifier.parameters())
    print(f'{len(vocab)} vocabulary entries, {len(ids)} tokens, {len(segs)} segments of at most {args.seq_len}; '
          f'encoder parameters {params}', flush=True)

    def save():
        save_atomic({'model': model.state_dict(), 'optimizer': opt.state_dict(), 'scheduler': sched.state_dict(),
                     'step': step, 'history': history, 'args': vars(args), 'config': config,
                     'tokenizer': spec, 'encoder': {k: v for k, v in encoder.state_dict().items()
                                                    if not k.startswith('classifier.')}}, ckpt_path)
        with open(os.path.join(run_dir, 'log.jsonl'), 'w', encoding='utf-8') as f:
            f.writelines(json.dumps(h) + '\n' for h in history)

    per_epoch = len(segs) // args.batch_size
    started = time.time()
    last_save = started
    window_loss, window_tokens, window_steps, window_start = 0.0, 0, 0, time.time()
    model.train()
    while step < (args.until or args.steps):
        epoch, k = divmod(step, per_epoch)
        order = torch.randperm(len(segs), generator=torch.Generator().manual_seed(args.seed * 1000 + epoch))
        chosen_segs = segs[order[k * args.batch_size:(k + 1) * args.batch_size].numpy()]
        batch = pad_batch([ids[s:s + n].tolist() for s, n in chosen_segs], pad_id)
        gen = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        torch.manual_seed(args.seed * 7919 + step)
        inputs, chosen, targets = mask_batch(batch, pad_id, mask_id, len(vocab), first_word_id, gen)
        loss = nn.functional.cross_entropy(model(inputs, chosen), targets)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        window_loss += loss.item()
        window_steps += 1
        window_tokens += int(batch.ne(pad_id).sum())
        if step % args.log_every == 0:
            now = time.time()
            rate = window_tokens / (now - window_start)
            entry = {'step': step, 'loss': round(window_loss / window_steps, 4), 'tokens_per_s': round(rate),
                     'lr': sched.get_last_lr()[0], 'minutes': round((now - started) / 60, 2), 'epoch': epoch}
            history.append(entry)
            print(f'step {step}/{args.steps} loss {entry["loss"]:.3f} {rate:,.0f} tokens/s lr {entry["lr"]:.2e} '
                  f'epoch {epoch} {entry["minutes"]:.1f} min', flush=True)
            window_loss, window_tokens, window_steps, window_start = 0.0, 0, 0, now
        now = time.time()
        if now - last_save > args.checkpoint_minutes * 60:
            save()
            last_save = now
        if args.minutes and now - started > args.minutes * 60:
            break
    save()
    print(f'saved {ckpt_path} at step {step}/{args.steps}', flush=True)


if __name__ == '__main__':
    allocator.reexec_with_jemalloc(allocator.KEEP_PAGES)
    main()
