#!/usr/bin/python3
"""What an int8 path would cost in accuracy: a format-v1 model's test accuracy in float32 and with every product
run the way an int8 kernel would run it, simulated in PyTorch (issue 17's int8 decision, bench/RESULTS.md).

    /usr/bin/python3 bench/int8_accuracy.py MODEL.json --data FILE --data-format FORMAT
        [--label-map 0=negative,1=positive] [--long-text keep-start|keep-ends|window]

The scheme is the one AVX-512 VNNI's vpdpbusd (unsigned 8-bit x signed 8-bit, sums of four into int32) serves:
weights symmetric int8 per output row, quantised once at load; each input row of a product asymmetric uint8 with
its own scale and zero point (its range widened to hold 0, so padding and ReLU zeros stay exact), quantised on
the fly; sums exact in int32, then scaled back to float32, where bias, ReLU and the residual add happen as now.
Every product goes through it (Q, K and V, the output projection, both feed-forward layers, the classifier);
attention scores, softmax, layer norm and pooling stay float32. Texts are classified as `attn eval` does
(train.py's predict: windows for --long-text window), so the float32 figure repeats `attn eval`'s.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import datasets  # noqa: E402
import train  # noqa: E402
from export import load_model  # noqa: E402

FLOAT_LINEAR = torch._C._nn.linear


def int8_linear(x, weight, bias=None):
    """x W^T + b with W rounded to int8 per output row and each row of x to uint8 (see the module doc)."""
    w_scale = weight.abs().amax(dim=1, keepdim=True).clamp_min(1e-30) / 127
    w = torch.round(weight / w_scale).clamp(-127, 127) * w_scale
    lo = x.amin(dim=-1, keepdim=True).clamp(max=0)
    hi = x.amax(dim=-1, keepdim=True).clamp(min=0)
    x_scale = ((hi - lo) / 255).clamp_min(1e-30)
    zero = torch.round(-lo / x_scale)
    xq = (torch.clamp(torch.round(x / x_scale) + zero, 0, 255) - zero) * x_scale
    return FLOAT_LINEAR(xq, w, bias)


def predictions(model, examples, pad_id, int8):
    """Every example's label index. Gradients stay on so that nn.TransformerEncoderLayer takes its regular path,
    whose products all go through F.linear (the fused inference path would bypass the substitution)."""
    F.linear = int8_linear if int8 else FLOAT_LINEAR
    try:
        return train.predict(model, examples, pad_id)
    finally:
        F.linear = FLOAT_LINEAR


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('model')
    ap.add_argument('--data', required=True)
    ap.add_argument('--data-format', required=True, choices=datasets.FORMATS)
    ap.add_argument('--label-map', help='FILE_LABEL=MODEL_LABEL,... when the file names labels otherwise')
    ap.add_argument('--long-text', choices=train.LONG_TEXT_POLICIES, default='keep-start')
    args = ap.parse_args()

    model, tokenizer, doc = load_model(args.model)
    labels = doc['labels']
    mapping = dict(item.split('=', 1) for item in args.label_map.split(',')) if args.label_map else {}
    rows = datasets.read_rows(args.data, args.data_format)
    max_length = doc['config']['max_length']
    examples = [(train.truncate(tokenizer.encode(text), max_length, args.long_text),
                 labels.index(mapping.get(label, label))) for text, label in rows]
    pad_id = tokenizer.pad_id
    gold = [y for _, y in examples]
    base = predictions(model, examples, pad_id, int8=False)
    quant = predictions(model, examples, pad_id, int8=True)
    accuracy = lambda p: 100.0 * sum(a == b for a, b in zip(p, gold)) / len(gold)
    changed = sum(a != b for a, b in zip(base, quant))
    print(f'{args.model} on {args.data} ({len(gold)} texts): float32 {accuracy(base):.2f}, int8 {accuracy(quant):.2f} '
          f'({accuracy(quant) - accuracy(base):+.2f} points; {changed} labels changed)')


if __name__ == '__main__':
    main()
