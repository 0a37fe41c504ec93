#!/usr/bin/env bash
# `attn explain --html` opened in a real browser: headless Chromium takes a screenshot and dumps the DOM after the
# page's script ran, and the DOM must hold the escaped text, the shaded tokens, the heatmap's cells and the grid.
# Skips (exit 77) when /usr/bin/chromium is absent (Debian: apt-get install chromium).
# Usage: html_report_test.sh path/to/attn path/to/source-tree [screenshot-to-keep.png]
source "$(dirname "$0")/harness.sh"
KEEP=${3:-}
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  echo "SKIP: $CHROMIUM is absent (Debian: apt-get install chromium); the HTML report was not tested in a browser"
  exit 77
fi
# The flags keep Chromium off the network and away from the user's profile.
chromium() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/profile" "$@" 2>>"$WORK/chromium.log"
}

# Text with everything that must be escaped, and a script-closing tag.
text='The movie was <b>great</b> & "fun", it'"'"'s </script><script>document.title="pwned"</script> lovely'
"$ATTN" --model "$TINY" explain --html "$WORK/report.html" "$text" >"$WORK/out" 2>"$WORK/err"
code=$?
check "explain --html exits 0 ($(head -c 300 "$WORK/err"))" test "$code" -eq 0
check "the report exists" test -s "$WORK/report.html"
check "no temporary file left" test -z "$(ls "$WORK" | grep tmp-)"
check "nothing fetched: no src or href attributes, no URL but the SVG namespace" \
  test -z "$(grep -oE '(src|href)=|https?://[^"]*' "$WORK/report.html" | grep -v '^http://www.w3.org/2000/svg$')"

chromium --screenshot="$WORK/shot.png" --window-size=1200,1600 "file://$WORK/report.html"
check "the screenshot was taken" test -s "$WORK/shot.png"
check "the screenshot is a 1200x1600 PNG" "$PY" -c '
import struct, sys
data = open(sys.argv[1], "rb").read(24)
assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
assert struct.unpack(">II", data[16:24]) == (1200, 1600), struct.unpack(">II", data[16:24])
' "$WORK/shot.png"
if [ -n "$KEEP" ] && [ -s "$WORK/shot.png" ]; then cp "$WORK/shot.png" "$KEEP"; fi

chromium --dump-dom --window-size=1200,1600 "file://$WORK/report.html" >"$WORK/dom.html"
check "the DOM was dumped" test -s "$WORK/dom.html"
if "$PY" - "$WORK/dom.html" "$WORK/report.html" <<'PYEOF'
import html.parser, json, re, sys

dom = open(sys.argv[1], encoding="utf-8").read()
source = open(sys.argv[2], encoding="utf-8").read()

class Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []          # (tag, attributes) of every element, in order
        self.stack = []
        self.text = {}              # id -> its text
    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self.stack.append(dict(attrs).get("id"))
    def handle_endtag(self, tag):
        if self.stack: self.stack.pop()
    def handle_data(self, data):
        for element_id in self.stack:
            if element_id: self.text[element_id] = self.text.get(element_id, "") + data

page = Collect()
page.feed(dom)
def elements(tag, **attrs):
    return [a for t, a in page.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

problems = []
def expect(condition, what):
    if not condition: problems.append(what)

data = json.loads(re.search(r'<script type="application/json" id="attn-data">(.*?)</script>', source, re.S).group(1))
n = len(data["tokens"])
layers, heads = data["num_layers"], data["num_heads"]
body = elements("body")
expect(body and body[0].get("data-rendered") == "true", "the script ran to its end (body data-rendered)")
title = re.search(r"<title>(.*?)</title>", dom).group(1)
expect("pwned" not in title and "pwned" not in str(elements("title")), "a token cannot inject a script")
expect(not elements("b"), "the <b> of the input stays text, not an element")
expect("&lt;b&gt;great&lt;/b&gt; &amp; \"fun\"" in dom or "&lt;b&gt;great&lt;/b&gt; &amp; &quot;fun&quot;" in dom,
       "the input text shows escaped")
spans = elements("span", **{"class": "tok"})
expect(len(spans) == n, f"{len(spans)} token spans, expected {n}")
expect(all("background-color:" in s.get("style", "") for s in spans), "every token is shaded")
expect(abs(sum(float(s["data-importance"]) for s in spans) - 1) < 0.01, "the importances sum to 1")
svg = elements("svg", id="heatmap")
expect(svg and svg[0].get("data-cells") == str(n * n), f"the heatmap says it has {n * n} cells")
cells = elements("rect", **{"class": "cell"})
expect(len(cells) == n * n, f"{len(cells)} heatmap cells in the DOM, expected {n * n}")
expect(all(c.get("fill", "").startswith("rgb(") for c in cells), "every cell is coloured")
expect(len(elements("canvas")) == layers * (heads + 1), f"{len(elements('canvas'))} thumbnails, expected {layers * (heads + 1)}")
expect(len(elements("option")) >= layers + heads + 1, "the layer and head selectors are filled")
expect("great" in page.text.get("heatmap", ""), "the heatmap's axes name the tokens")
expect(page.text.get("label", "").startswith(tuple(data["labels"])), "the predicted label is shown")
expect("Layer 1, mean of heads" in page.text.get("heatmap-caption", ""), "the caption names the layer and head")
for p in problems: print("FAIL: DOM: " + p, file=sys.stderr)
print(f"DOM: {n} tokens, {len(cells)} heatmap cells, {len(elements('canvas'))} thumbnails")
sys.exit(1 if problems else 0)
PYEOF
then pass; else fail "the rendered DOM"; fi

# Tokens that are themselves markup: a copy of the tiny model whose vocabulary holds <, >, & and ".
"$PY" - "$TINY" "$WORK/markup-model.json" <<'PYEOF'
import json, sys
model = json.load(open(sys.argv[1]))
vocab = model["tokenizer"]["vocab"]
for old, new in {"cafe": "<", "far": ">", "creme": "&", "dancing": '"'}.items():
    vocab[vocab.index(old)] = new
json.dump(model, open(sys.argv[2], "w"))
PYEOF
"$ATTN" --model "$WORK/markup-model.json" --no-cache explain --html "$WORK/markup.html" 'the <b> & "fun"' >"$WORK/out" 2>"$WORK/err"
check "explain of markup tokens exits 0 ($(head -c 300 "$WORK/err"))" test $? -eq 0
check "the plain output lists the markup tokens" grep -q '^<  ' "$WORK/out"
chromium --dump-dom "file://$WORK/markup.html" >"$WORK/markup-dom.html"
if "$PY" - "$WORK/markup-dom.html" <<'PYEOF'
import html.parser, sys
class Tokens(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.spans, self.axis, self.tags, self.where = [], [], [], None
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        self.where = "span" if a.get("class") == "tok" else "axis" if tag == "text" else None
    def handle_endtag(self, tag):
        self.where = None
    def handle_data(self, data):
        if self.where == "span": self.spans.append(data)
        elif self.where == "axis": self.axis.append(data)
page = Tokens()
page.feed(open(sys.argv[1], encoding="utf-8").read())
expected = ["the", "<", "b", ">", "&", '"', "fun", '"']
assert page.spans == expected, page.spans
assert page.axis[:2 * len(expected)][0::2] == expected, page.axis  # row labels, as text
assert "b" not in page.tags, "a token became an element"
PYEOF
then pass; else fail "markup tokens are text in the shaded tokens and in the heatmap axes"; fi

# A long text in windows: the window selector is offered, one window's heatmap is drawn.
long=$(printf 'the movie was good but far too long %.0s' $(seq 1 8))
"$ATTN" --model "$TINY" explain --long-text window --html "$WORK/long.html" "$long" >/dev/null 2>"$WORK/err"
check "explain --long-text window --html exits 0" test $? -eq 0
chromium --dump-dom "file://$WORK/long.html" >"$WORK/long-dom.html"
check "the windowed report draws a 12 x 12 heatmap" test "$(grep -o 'class="cell"' "$WORK/long-dom.html" | wc -l)" -eq 144
check "the windowed report offers its windows" grep -q 'tokens 52–63' "$WORK/long-dom.html"

finish "html_report"
