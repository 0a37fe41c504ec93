#!/usr/bin/env bash
# The attention dump's options (--layers, --heads, --head-aggregate, --rollout, --precision), checked against the
# default dump and against an independent Python computation of the rollout; and their usage errors.
# Usage: cli_attention_test.sh path/to/attn path/to/source-tree
source "$(dirname "$0")/harness.sh"


texts=("The movie was great fun!" "i hated it, boring acting" "good")
dump() { local file=$1; shift; "$ATTN" --model "$TINY" classify "${texts[@]}" --attention "$WORK/$file" "$@" >/dev/null 2>"$WORK/err"; code=$?; }

# --- the default dump keeps exactly its keys and layout
dump all.json; expect_code "default dump" 0
py_check "default dump keys and layout are unchanged" "
import json
d = json.load(open('all.json'))
assert list(d) == ['format','version','model','layout','num_layers','num_heads','labels','inputs'], list(d)
assert d['layout'] == 'attention[layer][head][query][key]'
for e in d['inputs']:
    assert list(e) == ['source','line','text','tokens','truncated','label','probabilities','attention'], list(e)
    n = len(e['tokens'])
    assert len(e['attention']) == 2 and all(len(l) == 2 and all(len(h) == n and all(len(r) == n for r in h) for h in l) for l in e['attention'])
"

# --- selection: the chosen layers and heads, in the order asked, equal to the full dump's
dump sel.json --layers 1 --heads 1,0; expect_code "layers and heads" 0
py_check "selected layers and heads match the full dump" "
import json
a, s = json.load(open('all.json')), json.load(open('sel.json'))
assert s['layers'] == [1] and s['heads'] == [1, 0] and s['head_aggregate'] == 'none' and s['layout'] == a['layout']
for ea, es in zip(a['inputs'], s['inputs']):
    assert len(es['attention']) == 1 and len(es['attention'][0]) == 2
    assert es['attention'][0][0] == ea['attention'][1][1] and es['attention'][0][1] == ea['attention'][1][0]
"

# --- head aggregation: mean and max over the (selected) heads, [layer][query][key]
dump mean.json --head-aggregate mean; expect_code "mean" 0
dump max.json --head-aggregate max --layers 0; expect_code "max" 0
dump mean1.json --head-aggregate mean --heads 1; expect_code "mean of one head" 0
py_check "aggregates equal the mean and the max of the heads" "
import json
a, m, x, m1 = (json.load(open(f)) for f in ('all.json', 'mean.json', 'max.json', 'mean1.json'))
assert m['layout'] == x['layout'] == 'attention[layer][query][key]' and m['head_aggregate'] == 'mean' and x['head_aggregate'] == 'max'
for ea, em, ex, e1 in zip(a['inputs'], m['inputs'], x['inputs'], m1['inputs']):
    n = len(ea['tokens'])
    assert len(em['attention']) == 2 and len(ex['attention']) == 1
    for l in range(2):
        for q in range(n):
            assert abs(sum(em['attention'][l][q]) - 1) < 1e-5
            for k in range(n):
                heads = [ea['attention'][l][h][q][k] for h in range(2)]
                assert abs(em['attention'][l][q][k] - sum(heads) / 2) < 1e-6
                assert abs(e1['attention'][l][q][k] - heads[1]) < 1e-6
                if l == 0: assert abs(ex['attention'][0][q][k] - max(heads)) < 1e-6
"

# --- rollout: recomputed here from the full dump with the formula of docs/attention.md
dump roll.json --rollout; expect_code "rollout" 0
py_check "rollout equals an independent computation" "
import json
a, r = json.load(open('all.json')), json.load(open('roll.json'))
assert r['rollout'] is True
def matmul(x, y):
    return [[sum(x[i][m] * y[m][j] for m in range(len(y))) for j in range(len(y[0]))] for i in range(len(x))]
for ea, er in zip(a['inputs'], r['inputs']):
    n = len(ea['tokens'])
    rolled = [[float(i == j) for j in range(n)] for i in range(n)]
    for layer in ea['attention']:
        mean = [[sum(h[q][k] for h in layer) / len(layer) for k in range(n)] for q in range(n)]
        aug = [[0.5 * mean[q][k] + 0.5 * (q == k) for k in range(n)] for q in range(n)]
        aug = [[v / sum(row) for v in row] for row in aug]
        rolled = matmul(aug, rolled)
    expected = [sum(rolled[q][k] for q in range(n)) / n for k in range(n)]  # mean pooling: mean of the rows
    assert len(er['rollout']) == n and abs(sum(er['rollout']) - 1) < 1e-5
    assert all(abs(x - y) < 1e-5 for x, y in zip(er['rollout'], expected)), (er['rollout'], expected)
    assert er['attention'] == ea['attention']
"

# --- precision: values rounded to N decimals, and a smaller file
dump p3.json --precision 3; expect_code "precision" 0
dump p0.json --precision 0 --rollout; expect_code "precision 0" 0
py_check "precision rounds the attention values" "
import json, os
a, p, z = json.load(open('all.json')), json.load(open('p3.json')), json.load(open('p0.json'))
assert p['precision'] == 3 and os.path.getsize('p3.json') < os.path.getsize('all.json')
for ea, ep, ez in zip(a['inputs'], p['inputs'], z['inputs']):
    for la, lp, lz in zip(ea['attention'], ep['attention'], ez['attention']):
        for ha, hp, hz in zip(la, lp, lz):
            for ra, rp, rz in zip(ha, hp, hz):
                for va, vp, vz in zip(ra, rp, rz):
                    assert abs(va - vp) <= 0.0005 + 1e-9 and round(vp, 3) == vp and vz in (0, 1)
    assert ep['probabilities'] == ea['probabilities']  # only attention values are rounded
"
py_check "precision shows in the file's text" "
import re
for line in open('p3.json').read().splitlines()[1:-1]:  # one entry per line
    attention = line[line.index('\"attention\":'):]
    assert not re.search(r'\d\.\d{4}', attention), attention[:200]
"

# --- usage errors name the option and the bad index
run_attn --model "$TINY" classify x --attention "$WORK/bad.json" --layers 2
expect_code "layer out of range exits 2" 2; expect_err "names the layer" "--layers: layer 2 does not exist: the model has 2 layers, numbered 0 to 1"
run_attn --model "$TINY" classify x --attention "$WORK/bad.json" --heads 0,7
expect_code "head out of range exits 2" 2; expect_err "names the head" "--heads: head 7 does not exist: the model has 2 heads, numbered 0 to 1"
run_attn --model "$TINY" classify x --attention "$WORK/bad.json" --heads 1,1
expect_code "repeated head exits 2" 2; expect_err "names the repeat" "head 1 is listed twice"
run_attn --model "$TINY" classify x --attention "$WORK/bad.json" --layers one
expect_code "non-numeric layer exits 2" 2; expect_err "names the option" "--layers"
run_attn --model "$TINY" classify x --layers 0
expect_code "--layers without --attention exits 2" 2; expect_err "says it needs --attention" "--layers requires --attention"
run_attn --model "$TINY" classify x --attention "$WORK/bad.json" --head-aggregate median
expect_code "bad aggregate exits 2" 2; expect_err "names the aggregate" "median"
run_attn --model "$TINY" classify x --attention "$WORK/bad.json" --precision 12
expect_code "precision out of range exits 2" 2
check "no dump written on a usage error" test ! -e "$WORK/bad.json"
check "no temporary files left" test -z "$(ls "$WORK" | grep tmp-)"

finish "cli_attention"
