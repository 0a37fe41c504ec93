"""Labelled text for the trainer: readers for the shipped formats, cleaning, stratified splits and folds.

A data set is a list of (text, label) rows, label a string as written in the file. Formats (the same names as
`attn eval --data-format`):
  text-tab-label    `text<TAB>label` (GLUE); a first line `sentence<TAB>label` is a header and skipped
  label-tab-text    `label<TAB>text` (SMS Spam Collection)
  label-space-text  `label<SPACE>text` (Kim 2014's stsa.* files)
  label-rating-id-text   the IMDB reviews' `label<TAB>rating<TAB>id<TAB>text`, after a header line
  LABEL=PATH        every line of PATH is a text with label LABEL (MR's rt-polarity.pos / .neg)
Any number of labels. Texts are normalised once (Kim's `-lrb-`/`-rrb-` become brackets, IMDB's `<br />` line
breaks become spaces, white space collapsed), before deduplication, so that the same sentence in two packagings
counts as one.
"""
import random
from collections import defaultdict

FORMATS = ('text-tab-label', 'label-tab-text', 'label-space-text', 'label-rating-id-text')
HEADERS = {'text-tab-label': 'sentence\tlabel', 'label-rating-id-text': 'label\trating\tid\ttext'}


def normalise(text):
    return ' '.join(text.replace('-lrb-', '(').replace('-rrb-', ')').replace('<br />', ' ').split())


def _parse(line, data_format, where):
    if data_format == 'text-tab-label':
        text, sep, label = line.rpartition('\t')
    elif data_format == 'label-tab-text':
        label, sep, text = line.partition('\t')
    elif data_format == 'label-space-text':
        label, sep, text = line.partition(' ')
    elif data_format == 'label-rating-id-text':
        parts = line.split('\t', 3)
        label, sep, text = parts[0], '\t' if len(parts) == 4 else '', parts[-1]
    else:
        raise ValueError(f'unknown data format {data_format!r} (one of {", ".join(FORMATS)})')
    if not sep or not label.strip():
        raise ValueError(f'{where}: no label separator for format {data_format}')
    return text, label.strip()


def read_rows(spec, data_format):
    """spec: a path in data_format, or LABEL=PATH. -> list of (normalised text, label); empty texts skipped."""
    label, sep, path = spec.partition('=')
    fixed = label if sep else None
    path = path if sep else spec
    rows = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip('\n').rstrip('\r')
            if fixed is not None:
                text, row_label = line, fixed
            elif number == 1 and line == HEADERS.get(data_format):
                continue
            else:
                text, row_label = _parse(line, data_format, f'{path}:{number}')
            text = normalise(text)
            if text:
                rows.append((text, row_label))
    return rows


def read_all(specs, data_format):
    rows = []
    for spec in specs:
        rows += read_rows(spec, data_format)
    return rows


def dedupe(rows, held_out_texts=frozenset()):
    """Keeps the first of identical (text, label) rows; drops texts seen under two labels and texts in
    held_out_texts. -> (rows, stats)."""
    unique = list(dict.fromkeys(rows))
    labels = defaultdict(set)
    for text, label in unique:
        labels[text].add(label)
    conflicting = {t for t, ls in labels.items() if len(ls) > 1}
    out = [r for r in unique if r[0] not in conflicting and r[0] not in held_out_texts]
    stats = {'rows': len(rows), 'duplicates_removed': len(rows) - len(unique),
             'conflicting_label_rows_removed': sum(1 for r in unique if r[0] in conflicting),
             'held_out_overlap_removed': sum(1 for r in unique if r[0] in held_out_texts),
             'held_out_overlap_raw_rows': sum(1 for r in rows if r[0] in held_out_texts),
             'rows_used': len(out)}
    return out, stats


def _by_label(rows, seed):
    """-> {label: shuffled list of rows}, labels in sorted order, shuffled with their own seeded generator."""
    groups = defaultdict(list)
    for row in rows:
        groups[row[1]].append(row)
    rng = random.Random(seed)
    for label in sorted(groups):
        rng.shuffle(groups[label])
    return {label: groups[label] for label in sorted(groups)}


def stratified_split(rows, fraction, seed):
    """-> (rest, part): part holds round(fraction * n_label) rows of every label."""
    rest, part = [], []
    for group in _by_label(rows, seed).values():
        k = round(fraction * len(group))
        part += group[:k]
        rest += group[k:]
    return rest, part


def train_dev_test(rows, test_fraction, dev_fraction, seed):
    """The trainer's held-out split without --dev/--test files: a stratified test_fraction of the rows (seed),
    then a stratified dev_fraction of all rows from the rest (seed + 1). -> (train, dev, test)."""
    rest, test = stratified_split(rows, test_fraction, seed)
    train, dev = stratified_split(rest, dev_fraction / (1 - test_fraction), seed + 1)
    return train, dev, test


def stratified_folds(rows, folds, seed):
    """-> list of `folds` lists; every label's rows dealt round robin after a seeded shuffle, so each fold holds
    the same share of every label (to within one row)."""
    out = [[] for _ in range(folds)]
    offset = 0
    for group in _by_label(rows, seed).values():
        for i, row in enumerate(group):
            out[(offset + i) % folds].append(row)
        offset += len(group)
    return out


def write_rows(rows, path):
    """Writes rows as label-tab-text (the format `attn eval --data-format label-tab-text` reads)."""
    with open(path, 'w', encoding='utf-8') as f:
        for text, label in rows:
            f.write(f'{label}\t{text}\n')
