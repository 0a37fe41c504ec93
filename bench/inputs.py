"""Benchmark inputs built at run time from the SST-2 data (never copied into the repository).

sentences(path, count): the first `count` sentences of GLUE train.tsv (header skipped), in file order.
long_texts(sentences, tokenizer, count, lo, hi): texts of lo..hi tokens made by joining consecutive sentences.
model_flops(n, cfg): the model's FLOPs for one input of n tokens.
"""
import csv


def read_sentences(path, count=None):
    """Sentences of a GLUE tsv (column `sentence`), in file order; count=None reads them all."""
    out = []
    with open(path, encoding='utf-8', newline='') as f:
        reader = csv.reader(f, delimiter='\t', quoting=csv.QUOTE_NONE)
        header = next(reader)
        column = header.index('sentence')
        for row in reader:
            text = row[column].strip()
            if text:  # attn answers an empty line with an error record; keep the sets error-free
                out.append(text)
                if count is not None and len(out) == count:
                    break
    return out


def long_texts(sentences, tokenizer, count, lo, hi):
    """Texts of lo..hi tokens: consecutive sentences joined with a space until the count reaches [lo, hi].

    Sentences are taken in file order; one that would push the text past hi starts the next text instead.
    Joining with a space adds no token (the tokenizer splits on white space first), so a text's count is the
    sum of its sentences' counts, from the reference tokenizer that attn's tokenizer matches.
    """
    out, parts, tokens = [], [], 0
    for s in sentences:
        if len(out) == count:
            break
        n = len(tokenizer.tokenize(s))
        if n > hi:
            continue
        if tokens + n > hi:
            parts, tokens = [], 0
        parts.append(s)
        tokens += n
        if tokens >= lo:
            out.append(' '.join(parts))
            parts, tokens = [], 0
    if len(out) < count:
        raise ValueError(f'the data gives only {len(out)} texts of {lo}..{hi} tokens, {count} wanted')
    return out


def model_flops(n, cfg):
    """FLOPs of one input of n tokens (multiply-add = 2), attn's forward pass with no padding.

    Per layer: QKV projections 2·n·d·3d, output projection 2·n·d·d, feed-forward 2·2·n·d·f, attention scores
    Q·K^T and the weighted sum A·V 2·2·n²·d (over all heads together). Then the classifier 2·d·C.
    Embedding lookup, layer norms, softmax, activation and pooling are O(n·d) and left out.
    """
    d, f, layers, labels = cfg['d_model'], cfg['ffn_dim'], cfg['num_layers'], cfg['num_labels']
    per_layer = 2 * n * d * 3 * d + 2 * n * d * d + 2 * 2 * n * d * f + 2 * 2 * n * n * d
    return layers * per_layer + 2 * d * labels
