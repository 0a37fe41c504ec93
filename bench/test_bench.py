"""Checks of the benchmark's own logic and helpers (no timing is asserted): run by ctest as bench_selftest.

    python3 bench/test_bench.py BENCH_BIN_DIR
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402

BIN = sys.argv.pop(1) if len(sys.argv) > 1 else None


class WordTokenizer:
    """Stands in for the reference tokenizer: one token per white-space word."""

    def tokenize(self, text):
        return text.split()


class Inputs(unittest.TestCase):
    def test_flops_formula(self):
        cfg = dict(d_model=128, ffn_dim=512, num_layers=2, num_labels=2)
        n, d, f = 10, 128, 512
        per_layer = 2 * n * d * 3 * d + 2 * n * d * d + 4 * n * d * f + 4 * n * n * d
        self.assertEqual(inputs.model_flops(n, cfg), 2 * per_layer + 2 * d * 2)

    def test_read_sentences_skips_header_and_stops_at_count(self):
        with tempfile.NamedTemporaryFile('w', suffix='.tsv', delete=False, encoding='utf-8') as f:
            f.write('sentence\tlabel\nfirst one \t1\nsecond "quoted\t0\nthird\t1\n')
        try:
            self.assertEqual(inputs.read_sentences(f.name, 2), ['first one', 'second "quoted'])
            self.assertEqual(len(inputs.read_sentences(f.name)), 3)
        finally:
            os.remove(f.name)

    def test_long_texts_stay_in_range(self):
        sentences = [' '.join(['w'] * k) for k in (3, 9, 5, 20, 7, 2, 11, 4, 6, 8) * 20]
        out = inputs.long_texts(sentences, WordTokenizer(), 15, 14, 16)
        self.assertEqual(len(out), 15)
        for text in out:
            self.assertTrue(14 <= len(text.split()) <= 16, text)

    def test_long_texts_refuses_an_impossible_count(self):
        with self.assertRaises(ValueError):
            inputs.long_texts(['a b', 'c'], WordTokenizer(), 5, 60, 64)


@unittest.skipIf(BIN is None, 'no helper directory given')
class Helpers(unittest.TestCase):
    def run_tool(self, *args):
        return subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True, check=True)

    def test_spawn_reports_exit_code_and_rss(self):
        with tempfile.NamedTemporaryFile('r') as result:
            self.run_tool('bench_spawn', result.name, 'sh', '-c', 'exit 3')
            wall, cpu, rss, code = result.read().split()
        self.assertEqual(int(code), 3)
        self.assertGreaterEqual(float(wall), 0.0)
        self.assertGreater(int(rss), 0)

    def test_peak_prints_its_fields(self):
        out = self.run_tool('bench_peak', '1000', '2').stdout
        keys = {line.split()[0] for line in out.splitlines()}
        self.assertEqual(keys, {'isa', 'single_core_gflops', 'threads', 'all_cores_gflops'})

    def test_sgemm_runs_a_small_shape(self):
        words = self.run_tool('bench_sgemm', '5', '7', '3', '1', '0.001').stdout.split()
        self.assertGreater(float(words[words.index('gflops') + 1]), 0.0)
        self.assertIn('OpenBLAS', self.run_tool('bench_sgemm', '--config').stdout)


if __name__ == '__main__':
    unittest.main()
