"""tools/export.py's list of tensors (format_weights) against the C++ tensor table, for every architecture
variant: the same names with the same shapes. Usage: exporter_tensors.py path/to/print_tensor_table MODEL.json...
Exits 77 (skipped) without PyTorch."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
try:
    from attn_model import AttnClassifier  # noqa: E402
    from export import VARIANT_KEYS, format_weights  # noqa: E402
except ImportError as e:
    print(f'skipped: {e}')
    sys.exit(77)


def exporter_table(path):
    with open(path, encoding='utf-8') as f:
        cfg = json.load(f)['config']
    model = AttnClassifier(cfg['vocab_size'], cfg['num_labels'], d_model=cfg['d_model'], num_heads=cfg['num_heads'],
                           num_layers=cfg['num_layers'], ffn_dim=cfg['ffn_dim'], max_length=cfg['max_length'],
                           layer_norm_eps=cfg['layer_norm_eps'], **{k: cfg[k] for k in VARIANT_KEYS})
    return {name: '[' + ','.join(str(n) for n in t.shape) + ']' for name, t in format_weights(model)}


def cpp_tables(printer, paths):
    out = subprocess.run([printer] + paths, check=True, capture_output=True, text=True).stdout
    tables, current = {}, None
    for line in out.splitlines():
        if line.startswith('# '):
            current = tables.setdefault(line[2:], {})
        else:
            name, shape = line.split(' ')
            current[name] = shape
    return tables


def main():
    printer, paths = sys.argv[1], sys.argv[2:]
    tables = cpp_tables(printer, paths)
    failed = 0
    for path in paths:
        expected, exported = tables[path], exporter_table(path)
        for name in sorted(set(expected) | set(exported)):
            if expected.get(name) != exported.get(name):
                print(f'FAIL {os.path.basename(path)}: {name}: C++ table {expected.get(name)}, '
                      f'export.py {exported.get(name)}')
                failed += 1
    print(f'{len(paths)} models, {failed} differences')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
