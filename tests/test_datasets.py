"""tools/datasets.py: readers, deduplication, stratified splits and folds (no torch needed).

Usage: python3 tests/test_datasets.py
"""
import os
import sys
import tempfile
import unittest
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import datasets  # noqa: E402


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


class Readers(unittest.TestCase):
    def test_every_format_and_label_files(self):
        with tempfile.TemporaryDirectory() as d:
            glue = write(d, 'g.tsv', 'sentence\tlabel\na  -lrb- fine -rrb-  film\t1\nbad\t0\n')
            self.assertEqual(datasets.read_rows(glue, 'text-tab-label'), [('a ( fine ) film', '1'), ('bad', '0')])
            sms = write(d, 's.tsv', 'ham\tsee you\tlater\nspam\tWIN now\r\n')
            self.assertEqual(datasets.read_rows(sms, 'label-tab-text'),
                             [('see you later', 'ham'), ('WIN now', 'spam')])
            kim = write(d, 'k.txt', '1 a good one\n0 not good\n')
            self.assertEqual(datasets.read_rows(kim, 'label-space-text'), [('a good one', '1'), ('not good', '0')])
            pos = write(d, 'p.txt', 'great \n\nfun\n')
            self.assertEqual(datasets.read_rows('pos=' + pos, 'label-tab-text'), [('great', 'pos'), ('fun', 'pos')])

    def test_a_line_without_separator_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            bad = write(d, 'b.tsv', 'ham\tok\nno separator here\n')
            with self.assertRaisesRegex(ValueError, r'b\.tsv:2: no label separator'):
                datasets.read_rows(bad, 'label-tab-text')


class Cleaning(unittest.TestCase):
    def test_dedupe_drops_duplicates_conflicts_and_held_out_texts(self):
        rows = [('a', 'x'), ('b', 'y'), ('a', 'x'), ('c', 'x'), ('c', 'y'), ('d', 'x')]
        out, stats = datasets.dedupe(rows, held_out_texts={'d'})
        self.assertEqual(out, [('a', 'x'), ('b', 'y')])
        self.assertEqual((stats['duplicates_removed'], stats['conflicting_label_rows_removed'],
                          stats['held_out_overlap_removed'], stats['rows_used']), (1, 2, 1, 2))


class Splits(unittest.TestCase):
    rows = [(f'text {i}', 'spam' if i % 7 == 0 else 'ham') for i in range(700)]  # 100 spam, 600 ham

    def test_stratified_split_keeps_the_label_shares_and_loses_nothing(self):
        rest, test = datasets.stratified_split(self.rows, 0.1, seed=1)
        self.assertEqual(Counter(l for _, l in test), {'ham': 60, 'spam': 10})
        self.assertEqual(sorted(rest + test), sorted(self.rows))
        self.assertEqual(datasets.stratified_split(self.rows, 0.1, seed=1), (rest, test))  # deterministic
        self.assertNotEqual(datasets.stratified_split(self.rows, 0.1, seed=2)[1], test)

    def test_train_dev_test_partitions_the_rows_with_the_label_shares(self):
        train, dev, test = datasets.train_dev_test(self.rows, 0.1, 0.1, seed=1)
        self.assertEqual(sorted(train + dev + test), sorted(self.rows))
        self.assertEqual(Counter(l for _, l in test), {'ham': 60, 'spam': 10})
        self.assertEqual(Counter(l for _, l in dev), {'ham': 60, 'spam': 10})

    def test_folds_partition_the_rows_with_equal_label_shares(self):
        folds = datasets.stratified_folds(self.rows, 10, seed=1)
        self.assertEqual(sorted(r for f in folds for r in f), sorted(self.rows))
        for fold in folds:
            self.assertEqual(Counter(l for _, l in fold), {'ham': 60, 'spam': 10})


if __name__ == '__main__':
    unittest.main()
