"""Reference tokenizer for attn models: BERT-style basic tokenization, then WordPiece.

The C++ tokenizer (src/model/tokenizer.cpp) must give the same tokens for every string;
tests/fixtures/tokenizer_cases.json, written by tools/make_tokenizer_cases.py, holds the proof.
The rules are specified in docs/model-format.md ("tokenizer"); WrappedTokenizer adds format v2's wrapping
(docs/model-format-v2.md).
"""
import unicodedata

ASCII_PUNCTUATION = set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')

CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def is_whitespace(ch):
    return ch in ' \t\n\r' or unicodedata.category(ch) == 'Zs'


def is_dropped(ch):
    """NUL, the replacement character and control/format characters (Cc, Cf) other than white space."""
    if ch in '\t\n\r':
        return False
    return ord(ch) == 0 or ord(ch) == 0xFFFD or unicodedata.category(ch) in ('Cc', 'Cf')


def is_cjk(ch):
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def is_punctuation(ch):
    return ch in ASCII_PUNCTUATION or unicodedata.category(ch).startswith('P')


def simple_lower(ch):
    """Unicode simple lowercase mapping of one code point (str.lower applies the full mapping)."""
    low = ch.lower()
    if len(low) == 1:
        return low
    # Only U+0130 has a multi-character full lowercase; its simple mapping is 'i'.
    return 'i' if ch == '\u0130' else ch


def basic_tokenize(text, lowercase=True, strip_accents=True, split_cjk=True):
    """Split text into words: clean, isolate CJK, split on white space, normalise, split punctuation."""
    chars = []
    for ch in text:
        if is_dropped(ch):
            continue
        if is_whitespace(ch):
            chars.append(' ')
        elif split_cjk and is_cjk(ch):
            chars.extend((' ', ch, ' '))
        else:
            chars.append(ch)
    words = []
    for word in ''.join(chars).split(' '):
        if not word:
            continue
        if lowercase:
            word = ''.join(simple_lower(c) for c in word)
        if strip_accents:
            word = ''.join(c for c in unicodedata.normalize('NFD', word)
                           if unicodedata.category(c) != 'Mn')
        current = []
        for c in word:
            if is_punctuation(c):
                if current:
                    words.append(''.join(current))
                    current = []
                words.append(c)
            else:
                current.append(c)
        if current:
            words.append(''.join(current))
    return words


def wordpiece(word, vocab, unk='[UNK]', prefix='##', max_word_chars=100):
    """Greedy longest-match-first split of one word into vocabulary pieces."""
    if len(word) > max_word_chars:
        return [unk]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = word[start:end]
            if start > 0:
                piece = prefix + piece
            if piece in vocab:
                found = piece
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


class Tokenizer:
    """Tokenizer from the `tokenizer` section of a format-v1 model."""

    def __init__(self, spec):
        if spec.get('kind') != 'wordpiece':
            raise ValueError('tokenizer.kind must be "wordpiece"')
        self.spec = spec
        self.vocab_list = list(spec['vocab'])
        self.vocab = {tok: i for i, tok in enumerate(self.vocab_list)}
        self.unk = spec['special_tokens']['unk']
        self.pad = spec['special_tokens']['pad']
        self.unk_id = self.vocab[self.unk]
        self.pad_id = self.vocab[self.pad]

    def tokenize(self, text):
        s = self.spec
        tokens = []
        for word in basic_tokenize(text, s['lowercase'], s['strip_accents'], s['split_cjk']):
            tokens.extend(wordpiece(word, self.vocab, self.unk, s['continuation_prefix'], s['max_word_chars']))
        return tokens

    def encode(self, text, max_length=None):
        """Token ids, truncated to max_length (keeping the first tokens)."""
        ids = [self.vocab[t] for t in self.tokenize(text)]
        return ids if max_length is None else ids[:max_length]


WRAPS = ('none', 'cls_sep')  # tokenizer.wrap of format v2


class WrappedTokenizer:
    """A document's tokenizer section: Tokenizer's WordPiece ids, then tokenizer.wrap (format v2):
    'cls_sep' puts the cls token before an input's ids and the sep token after them, 'none' adds nothing. A v1
    section reads as 'none'."""

    def __init__(self, spec, version=2):
        spec = dict(spec)
        self.wrap = spec.pop('wrap', None) if version == 2 else 'none'
        if self.wrap not in WRAPS:
            raise ValueError(f'tokenizer.wrap: {self.wrap!r} is not supported (supported: {WRAPS})')
        self.tokenizer = Tokenizer(spec)
        self.pad_id = self.tokenizer.pad_id
        self.wrap_tokens = 2 if self.wrap == 'cls_sep' else 0
        if self.wrap == 'cls_sep':
            self.cls_id = self.tokenizer.vocab[spec['special_tokens']['cls']]
            self.sep_id = self.tokenizer.vocab[spec['special_tokens']['sep']]

    def tokenize(self, text):
        """Text tokens, unwrapped."""
        return self.tokenizer.tokenize(text)

    def wrap_ids(self, ids):
        return [self.cls_id] + list(ids) + [self.sep_id] if self.wrap == 'cls_sep' else list(ids)

    def encode(self, text, max_length):
        """Text -> at most max_length model ids: the first text tokens that fit (keep-start), wrapped."""
        return self.wrap_ids(self.tokenizer.encode(text, max_length - self.wrap_tokens))
