#!/usr/bin/env bash
# Real attention dumps of every kind validated against docs/attention-dump.schema.json, and the bertviz recipe
# of docs/attention.md run on them (its shapes checked; bertviz itself is not needed).
# Skips (exit 77) when Python's jsonschema module is missing: `apt-get install python3-jsonschema`.
# Usage: attention_schema_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"
SCHEMA=$ROOT/docs/attention-dump.schema.json
if ! "$PY" -c 'import jsonschema' 2>/dev/null; then
  echo "SKIP: Python module jsonschema is missing (Debian: apt-get install python3-jsonschema)"
  exit 77
fi

texts=("The movie was great fun!" "" "i hated it, boring acting" "good")
long=$(printf 'the movie was good but far too long %.0s' $(seq 1 8))  # 64 tokens: 5+ times the tiny max_length
variants=(
  "default|"
  "layers-heads|--layers 1 --heads 1,0"
  "mean|--head-aggregate mean"
  "max-rollout|--head-aggregate max --rollout --layers 0"
  "precision|--precision 2 --rollout"
  "window|--long-text window --rollout"
  "window-mean|--long-text window --stride 4 --head-aggregate mean --precision 4"
  "keep-end|--long-text keep-end --rollout"
)
for variant in "${variants[@]}"; do
  name=${variant%%|*}
  # shellcheck disable=SC2086  # the options are meant to split
  "$ATTN" --model "$TINY" classify "${texts[@]}" "$long" --attention "$WORK/$name.json" ${variant#*|} >/dev/null 2>"$WORK/err"
  code=$?
  if [ "$code" -eq 5 ]; then pass; else fail "$name: exit $code, expected 5 for the empty input ($(head -c 300 "$WORK/err"))"; fi
done

# Every dump valid against the schema, with the shapes the schema cannot express checked here.
if "$PY" - "$SCHEMA" "$WORK"/*.json <<'PYEOF'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failures = 0
for path in sys.argv[2:]:
    dump = json.load(open(path))
    errors = sorted(validator.iter_errors(dump), key=lambda e: list(e.path))
    for e in errors[:3]:
        print(f"FAIL: {path}: {'/'.join(map(str, e.path))}: {e.message[:200]}", file=sys.stderr)
    failures += bool(errors)
    per_head = dump["layout"] == "attention[layer][head][query][key]"
    for entry in dump["inputs"]:
        if "error" in entry:
            continue
        parts = [(entry["tokens"], entry["attention"])] if "attention" in entry else [
            (entry["tokens"][w["start"]:w["start"] + w["length"]], w["attention"]) for w in entry["windows"]]
        for tokens, attention in parts:
            n = len(tokens)
            matrices = [m for layer in attention for m in (layer if per_head else [layer])]
            if not all(len(m) == n and all(len(row) == n for row in m) for m in matrices):
                print(f"FAIL: {path}: line {entry['line']}: a matrix is not {n} x {n}", file=sys.stderr)
                failures += 1
print(f"validated {len(sys.argv) - 2} dumps")
sys.exit(1 if failures else 0)
PYEOF
then pass; else fail "dumps valid against the schema"; fi

# The schema is not vacuous: broken dumps are refused.
if "$PY" - "$SCHEMA" "$WORK/default.json" "$WORK/mean.json" <<'PYEOF'
import copy, json, sys
import jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
full, mean = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
def broken(dump, change):
    d = copy.deepcopy(dump)
    change(d)
    return not validator.is_valid(d)
cases = {
    "unknown header key": (full, lambda d: d.update(colour="blue")),
    "wrong format": (full, lambda d: d.update(format="other")),
    "weight above 1": (full, lambda d: d["inputs"][0]["attention"][0][0][0].__setitem__(0, 1.5)),
    "aggregated layout with per-head attention": (full, lambda d: d.update(layout="attention[layer][query][key]")),
    "per-head layout with aggregated attention": (mean, lambda d: d.update(layout="attention[layer][head][query][key]")),
    "entry without attention": (full, lambda d: d["inputs"][0].pop("attention")),
    "error entry with tokens": (full, lambda d: d["inputs"][1].update(tokens=["x"])),
    "rollout promised but missing": (full, lambda d: d.update(rollout=True)),
}
bad = [name for name, (dump, change) in cases.items() if not broken(dump, change)]
assert not bad, f"the schema accepts: {bad}"
PYEOF
then pass; else fail "the schema refuses broken dumps"; fi

# The bertviz recipe of docs/attention.md, extracted from the page and run on the dumps.
if "$PY" - "$ROOT/docs/attention.md" "$WORK" <<'PYEOF'
import json, re, sys, types
page = open(sys.argv[1], encoding="utf-8").read()
blocks = [b for b in re.findall(r"```python\n(.*?)```", page, re.S) if "def load_for_bertviz" in b]
assert len(blocks) == 1, "docs/attention.md must hold one load_for_bertviz block"
try:
    import torch
    backend = "torch"
except ImportError:  # plain lists stand in for tensors: the recipe only calls torch.tensor(...).unsqueeze(0)
    class Tensor(list):
        def unsqueeze(self, dim):
            assert dim == 0
            return Tensor([self])
        @property
        def shape(self):
            shape, x = [], self
            while isinstance(x, list):
                shape.append(len(x))
                x = x[0]
            return tuple(shape)
    torch = types.ModuleType("torch")
    torch.float32 = "float32"
    torch.tensor = lambda data, dtype=None: Tensor(data)
    sys.modules["torch"] = torch
    backend = "plain lists"
namespace = {}
exec(blocks[0], namespace)
load = namespace["load_for_bertviz"]
work = sys.argv[2]
checked = 0
for name, layers, heads in [("default", 2, 2), ("layers-heads", 1, 2), ("mean", 2, 1), ("max-rollout", 1, 1)]:
    dump = json.load(open(f"{work}/{name}.json"))
    attention, tokens = load(f"{work}/{name}.json", index=0)
    n = len(dump["inputs"][0]["tokens"])
    assert tokens == dump["inputs"][0]["tokens"]
    assert isinstance(attention, tuple) and len(attention) == layers, (name, len(attention))
    for layer in attention:
        assert tuple(layer.shape) == (1, heads, n, n), (name, tuple(layer.shape))
    checked += 1
# A windowed long text: one window at a time.
dump = json.load(open(f"{work}/window.json"))
entry = dump["inputs"][4]
assert "windows" in entry and len(entry["windows"]) >= 5, "the long text should be cut into windows"
for w, window in enumerate(entry["windows"]):
    attention, tokens = load(f"{work}/window.json", index=4, window=w)
    assert len(tokens) == window["length"] == 12
    assert all(tuple(layer.shape) == (1, 2, 12, 12) for layer in attention)
# An error entry is refused with its message.
try:
    load(f"{work}/default.json", index=1)
    raise AssertionError("an error entry was accepted")
except ValueError as e:
    assert "empty line" in str(e)
if backend == "torch":
    first = load(f"{work}/default.json")[0][0]
    assert abs(float(first[0].sum(-1).mean()) - 1.0) < 1e-5  # rows still sum to 1 after the conversion
print(f"bertviz recipe: {checked} dumps and {len(entry['windows'])} windows converted ({backend})")
PYEOF
then pass; else fail "the bertviz recipe of docs/attention.md"; fi

finish "attention_schema"
