"""Writes tests/fixtures/tokenizer_cases.json: what tools/attn_tokenizer.py makes of many edge-case strings.

The C++ tokenizer (tests/test_tokenizer.cpp) must reproduce every case: the basic-tokenization words, the
WordPiece tokens and ids under several configurations, and for byte strings the first invalid UTF-8 offset as
Python's strict decoder reports it. Run with the standard library only:

    /usr/bin/python3 tools/make_tokenizer_cases.py

Character properties come from this interpreter's unicodedata (its version is recorded in the fixture).
No test string uses a code point whose properties differ between Unicode 14.0 and 15.0 (see
docs/model-format.md, "Unicode version"), so any Python from 3.11 on writes the same cases.
"""
import json
import os
import random
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import attn_tokenizer  # noqa: E402

OUTPUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'tokenizer_cases.json')


def nfd(text):
    return unicodedata.normalize('NFD', text)


VOCAB = [
    '[PAD]', '[UNK]',
    # words, word starts and continuation pieces
    'the', 'a', 'is', 'it', 'was', 'movie', 'film', 'good', 'great', 'not', 'hello', 'world', 'play', 'un',
    'don', 'wo', 'n', 't', 's', 'well', 'known', 'state', 'of', 'art', 'line', 'one', 'two', 'bell', 'red',
    'zero', 'width', 'co', 'operate', 'ab', 'q', 'qu', 'x', 'y', 'i', 'k', 'user', 'example', 'com', 'https',
    'www', 'path', 'wow', 'wait', 'hola', 'que', 'c', 'e', 'straße', 'istanbul', 'привет', 'мир', 'οδυσσευσ',
    'cafe', 'naive', 'angstrom', 'resume', 're', 'tieng', 'viet', 'ǆ',
    '##s', '##ing', '##ed', '##ly', '##er', '##believ', '##able', '##sume', '##sum', '##ab', '##a', '##e',
    '##uxz', '##t', '##ple', '##bul',
    # digits
    '0', '1', '2', '3', '5', '100', '2024', '##0', '##4', '##14', '##00', '##24',
    # punctuation that becomes tokens
    '.', ',', '!', '?', "'", '-', '/', ':', '#', '&', '=', '@', '$', '%', '(', ')', '[', ']', ';', '"',
    '\u201c', '\u201d', '\u2019', '\u00ab', '\u00bb', '\u2014', '\u2026', '\u00a1', '\u00bf', '\u300c',
    '\u300d', '\u3002', '\uff01', '\u00b7',
    # symbols that are not punctuation
    '\u20ac', '\u00a3', '\u00b1', '\u00b0', '##c',
    # cased and accented entries, for the configurations that keep case or accents
    'The', 'Hello', 'Istanbul', '\u0130stanbul', 'caf\u00e9', 'na\u00efve', '##\u00e9', 'r\u00e9sum\u00e9',
    '\u00c5ngstr\u00f6m', 'ti\u1ebfng', 'vi\u1ec7t', '\u0301',
    # CJK ideographs (no '字'), kana and Hangul
    '\u4e2d', '\u6587', '\u4e16', '\u754c', '\u8c48', '\U00020000',
    '\u3053\u3093', '##\u306b\u3061', '##\u306f', '\u304b\u304d\u304f', '\u30ab\u30ad\u30af',
    '\ud55c\uad6d', nfd('\ud55c\uad6d'), '##' + nfd('\uc5b4'),
    # emoji and their parts
    '\U0001f600', '\U0001f44d', '##\U0001f3fd', '\U0001f468', '##\U0001f4bb', '\u2764',
    # marks of class > 0 that are not Mn, so survive strip_accents in canonical order
    '##\U0001d165', '##\U0001d16d', '##\U0001d158', '##\U0001d16e',
    # continuation pieces under another prefix
    '@@ing', '@@er', '@@ab', '@@e',
]

CONFIGS = {
    'default': {},
    'cased': {'lowercase': False, 'strip_accents': False},
    'cased_strip_accents': {'lowercase': False, 'strip_accents': True},
    'lowercase_keep_accents': {'lowercase': True, 'strip_accents': False},
    'no_cjk_split': {'split_cjk': False},
    'short_words_at_prefix': {'max_word_chars': 8, 'continuation_prefix': '@@'},
}

# (note, text) pairs; every one runs under the default configuration.
DEFAULT_CASES = [
    ('empty', ''),
    ('white space only', '   \t\n  \r\n '),
    ('only dropped characters', '\x01\x02\u200b\ufeff\x7f'),
    ('plain sentence', 'the movie was great'),
    ('uppercase', 'THE MOVIE WAS GREAT'),
    ('word pieces', 'playing played plays unbelievable'),
    ('greedy longest match fails although a + ##bcd-style split exists', 'quxz qux'),
    ('no piece at all', 'xyzzy'),
    ('accents', 'caf\u00e9 na\u00efve \u00c5ngstr\u00f6m r\u00e9sum\u00e9'),
    ('decomposed accents', 'cafe\u0301 re\u0301sume\u0301'),
    ('uppercase accents', '\u00c5NGSTR\u00d6M R\u00c9SUM\u00c9'),
    ('angstrom sign lowercases to a-ring', '\u212bngstr\u00f6m'),
    ('Turkish dotted capital I: simple lowercase is plain i', '\u0130stanbul ISTANBUL'),
    ('Greek capital sigma: simple lowercase, no final form', '\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3'),
    ('kelvin sign', '\u212a'),
    ('sharp s has no simple uppercase pair to fold', 'Stra\u00dfe'),
    ('titlecase digraph', '\u01c5'),
    ('Deseret capital (4-byte) lowercases', '\U00010400\U00010401'),
    ('Vietnamese stacked marks are reordered then stripped', 'Ti\u1ebfng Vi\u1ec7t'),
    ('Cyrillic', '\u041f\u0420\u0418\u0412\u0415\u0422 \u043c\u0438\u0440'),
    ('Hebrew niqqud are Mn', '\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd'),
    ('Devanagari signs', '\u0928\u092e\u0938\u094d\u0924\u0947'),
    ('Arabic', '\u0645\u0631\u062d\u0628\u0627'),
    ('CJK ideographs become words', '\u4e2d\u6587\u5b57'),
    ('CJK inside Latin', 'abc\u4e2ddef'),
    ('kana stays attached, ideographs split', '\u3053\u3093\u306b\u3061\u306f\u4e16\u754c'),
    ('dakuten decompose to Mn and are stripped', '\u30ac\u30ae\u30b0 \u304c\u304e\u3050'),
    ('halfwidth katakana', '\uff76\uff80\uff76\uff85'),
    ('Hangul syllables decompose to jamo', '\ud55c\uad6d\uc5b4'),
    ('CJK extension B', '\U00020000\U00020001'),
    ('CJK compatibility ideograph: split, then NFD to U+8C48', '\uf900'),
    ('Kangxi radical is not in the CJK ranges', '\u2f00\u4e00'),
    ('CJK punctuation', '\u4e2d\u3002\u300c\u6587\u300d'),
    ('emoji', '\U0001f600 \U0001f44d'),
    ('emoji with skin tone (Sk stays attached)', '\U0001f44d\U0001f3fd'),
    ('ZWJ sequence: the joiner is Cf, dropped', '\U0001f468\u200d\U0001f4bb'),
    ('variation selector is Mn, stripped', '\u2764\ufe0f'),
    ('flag: regional indicators', '\U0001f1fa\U0001f1f8'),
    ('punctuation runs', 'wow!!! wait... a--b ?!'),
    ('unicode quotes', '\u201cgood\u201d \u2018not\u2019 \u201egood\u201c'),
    ('guillemets, dash, ellipsis', '\u00abgood\u00bb\u2014great\u2026'),
    ('inverted marks', '\u00a1hola! \u00bfqu\u00e9?'),
    ('fullwidth letters are not NFD-folded, fullwidth ! splits', '\uff21\uff22\uff23\uff01'),
    ('ligature stays (compatibility only)', '\ufb01'),
    ('currency: $ is ASCII punctuation, others are Sc', '$5 \u20ac5 \u00a35 \u00a5'),
    ('symbols', '5% a+b=c x^2 `y` ~z | 1\u00b12 20\u00b0c \u00a9'),
    ('superscript and circled digits are No', 'x\u00b2 \u2460'),
    ('digits', '2024 100 3.14 1,000,000'),
    ('Arabic-Indic digits', '\u0661\u0662\u0663'),
    ('contractions', "don't wo n't it's can\u2019t"),
    ('hyphenated', 'well-known state-of-the-art'),
    ('URL', 'https://www.example.com/path?q=1&x=y#frag'),
    ('email', 'user@example.com'),
    ('tabs', 'the\tmovie\t\tgood'),
    ('CRLF', 'line one\r\nline two\r\n'),
    ('no-break space is Zs', 'good\u00a0movie'),
    ('en quad and ideographic space are Zs', 'good\u2000movie\u3000film'),
    ('line separator U+2028 is Zl: not white space, stays in the word', 'good\u2028movie'),
    ('paragraph separator U+2029 is Zp: stays in the word', 'a\u2029b'),
    ('zero-width space is Cf: dropped, joins the word', 'zero\u200bwidth'),
    ('soft hyphen is Cf: dropped', 'co\u00adoperate'),
    ('byte order mark', '\ufeffhello'),
    ('NUL is dropped', 'hel\x00lo'),
    ('ANSI escape: ESC dropped, the rest stays', '\x1b[31mred\x1b[0m'),
    ('bell', '\x07bell'),
    ('VT, FF, NEL and U+001C-1F are Cc: dropped, not white space', 'a\x0bb\x0cc\x85e\x1cx\x1fy'),
    ('replacement character is dropped', 'hel\ufffdlo'),
    ('private use character is kept', 'a\ue000'),
    ('noncharacter and unassigned code points are kept', 'a\uffff \u0378'),
    ('combining mark alone', '\u0301'),
    ('combining marks between words', 'a \u0301\u0302 b'),
    ('combining mark on punctuation', '!\u0301 a'),
    ('Greek question mark: NFD gives ";"', 'good\u037e'),
    ('Greek ano teleia: NFD gives U+00B7', 'a\u0387b'),
    ('marks of class > 0 that are not Mn are put in canonical order', 'x\U0001d16d\U0001d165'),
    ('canonical order across a stripped Mn', 'x\U0001d16d\u0301\U0001d165'),
    ('CGJ (Mn, class 0) blocks reordering before it is stripped', 'x\U0001d16d\u034f\U0001d165'),
    ('musical symbol decomposes to three code points', 'x\U0001d160'),
    ('100-character word is pieced', 'ab' * 50),
    ('101-character word is unknown', 'ab' * 50 + 'a'),
    ('100 accented letters count as 100 after stripping', '\u00e9' * 100),
    ('101 accented letters', '\u00e9' * 101),
    ('100 decomposed accented letters (200 code points in the text)', 'e\u0301' * 100),
    ('long word among others', 'good ' + 'x' * 150 + ' movie'),
    ('punctuation breaks a long run into short words', '.'.join(['ab'] * 60)),
    ('mixed', 'Hello,World! The film (2024) was 100% great...'),
]

# (config, note, text) for the other configurations.
CONFIG_CASES = [
    ('cased', 'case kept', 'The movie THE Hello hello'),
    ('cased', 'accents kept', 'caf\u00e9 na\u00efve \u00c5ngstr\u00f6m r\u00e9sum\u00e9 cafe\u0301'),
    ('cased', 'Turkish I kept', '\u0130stanbul'),
    ('cased', 'variation selector kept', '\u2764\ufe0f'),
    ('cased', 'combining mark alone is a word', '\u0301'),
    ('cased', 'combining mark on punctuation splits', '!\u0301'),
    ('cased', 'Greek question mark kept as is', 'good\u037e'),
    ('cased', 'Hangul kept precomposed', '\ud55c\uad6d'),
    ('cased', 'dakuten kept', '\u30ac\u30ae\u30b0'),
    ('cased', 'decomposed input is not composed', 'e\u0301' * 60),
    ('cased', 'no reordering without NFD', 'x\U0001d16d\U0001d165'),
    ('cased_strip_accents', 'Turkish I: NFD then strip leaves I', '\u0130stanbul'),
    ('cased_strip_accents', 'accents stripped, case kept', 'Caf\u00e9 \u00c5ngstr\u00f6m'),
    ('cased_strip_accents', 'Greek capitals kept', '\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3'),
    ('cased_strip_accents', 'mixed', 'The Movie \u00c9T\u00c9'),
    ('lowercase_keep_accents', 'Turkish I: simple lowercase, no combining dot', '\u0130stanbul'),
    ('lowercase_keep_accents', 'accents kept after lowercase', 'CAF\u00c9 R\u00c9SUM\u00c9 \u00c5ngstr\u00f6m'),
    ('lowercase_keep_accents', 'Vietnamese', 'TI\u1ebeNG VI\u1ec6T'),
    ('lowercase_keep_accents', '101 precomposed letters', '\u00e9' * 101),
    ('lowercase_keep_accents', 'angstrom sign lowercases to precomposed a-ring', '\u212b'),
    ('no_cjk_split', 'CJK stays in its word', '\u4e2d\u6587\u5b57 abc\u4e2ddef'),
    ('no_cjk_split', 'CJK with punctuation', '\u4e2d\u3002\u6587'),
    ('no_cjk_split', 'compatibility ideograph still decomposes', '\uf900'),
    ('short_words_at_prefix', 'another prefix', 'playing player plays'),
    ('short_words_at_prefix', 'eight characters pass', 'abababab'),
    ('short_words_at_prefix', 'ten characters are unknown', 'ab' * 5),
    ('short_words_at_prefix', 'length counted after stripping', 'e\u0301' * 8),
    ('short_words_at_prefix', 'nine letters after stripping are unknown', '\u00e9' * 9),
]

# Code points the seeded random strings are drawn from: each exercises a different rule.
RANDOM_POOL = (
    list('abcdeqxyzAEIKS ') + ['\t', '\n', '\r', '\x00', '\x01', '\x0b', '\x7f', '\x85'] +
    list('.,!?\'-#$@') +
    ['\u00a0', '\u2000', '\u3000', '\u2028', '\u200b', '\u200d', '\ufeff', '\u00ad', '\ufffd', '\ue000'] +
    ['\u0301', '\u0302', '\u0323', '\u034f', '\u3099', '\ufe0f', '\U0001d165', '\U0001d16d', '\u302e'] +
    ['\u00e9', '\u00c5', '\u0130', '\u212a', '\u212b', '\u03a3', '\u1ec7', '\ud55c', '\u304c', '\u037e'] +
    ['\u4e2d', '\u6587', '\uf900', '\U00020000', '\u3002', '\u201c', '\u2014', '\u20ac', '\u00b2'] +
    ['\U0001f600', '\U0001f3fd', '\U0001f468', '\U00010400']
)


def make_tokenizer(config_name):
    spec = {
        'kind': 'wordpiece', 'lowercase': True, 'strip_accents': True, 'split_cjk': True,
        'continuation_prefix': '##', 'max_word_chars': 100,
        'special_tokens': {'pad': '[PAD]', 'unk': '[UNK]'}, 'vocab': VOCAB,
    }
    spec.update(CONFIGS[config_name])
    return attn_tokenizer.Tokenizer(spec)


def make_case(tokenizers, config_name, note, text):
    tokenizer = tokenizers[config_name]
    spec = tokenizer.spec
    words = attn_tokenizer.basic_tokenize(text, spec['lowercase'], spec['strip_accents'], spec['split_cjk'])
    return {'config': config_name, 'note': note, 'text': text, 'words': words,
            'tokens': tokenizer.tokenize(text), 'ids': tokenizer.encode(text)}


def first_error_offset(data):
    try:
        data.decode('utf-8')
    except UnicodeDecodeError as error:
        return error.start
    return None


INVALID_UTF8 = [
    ('overlong "/" (C0 AF)', b'\xc0\xaf'),
    ('overlong "/" in three bytes', b'\xe0\x80\xaf'),
    ('overlong in four bytes', b'\xf0\x80\x80\xaf'),
    ('overlong two-byte form of U+007F', b'\xc1\xbf'),
    ('surrogate U+D800', b'\xed\xa0\x80'),
    ('surrogate U+DFFF after text', b'ok \xed\xbf\xbf'),
    ('above U+10FFFF (F4 90 80 80)', b'\xf4\x90\x80\x80'),
    ('lead byte F5', b'\xf5\x80\x80\x80'),
    ('byte FF', b'\xff'),
    ('byte FE', b'\xfe\xfe'),
    ('lone continuation byte', b'\x80'),
    ('continuation byte after a complete sequence', b'\xc3\xa9\xa9'),
    ('truncated at end (E2 82)', b'\xe2\x82'),
    ('truncated emoji at end (F0 9F 98)', b'\xf0\x9f\x98'),
    ('truncated by an ASCII byte', b'\xe2\x82a'),
    ('truncated by a new lead byte', b'\xc3\xc3\xa9'),
    ('valid prefix then FF', b'abc\xff'),
    ('valid multibyte prefix then error', b'caf\xc3\xa9 \xe2\x82\xac \xc0\x80'),
    ('lead byte at the very end', b'hello\xc3'),
]


def random_bytes(rng):
    """Short byte strings built to hit every branch of a decoder: leads, continuations, boundary values."""
    interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
                   0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe, 0xff]
    out = bytearray()
    for _ in range(rng.randint(1, 6)):
        kind = rng.random()
        if kind < 0.4:
            out += chr(rng.choice([rng.randint(0x80, 0x7ff), rng.randint(0x800, 0xffff),
                                   rng.randint(0x10000, 0x10ffff)])).encode('utf-8', 'surrogatepass')
        elif kind < 0.8:
            out.append(rng.choice(interesting))
        else:
            out.append(rng.randint(0, 255))
    return bytes(out)


def main():
    assert len(set(VOCAB)) == len(VOCAB), 'duplicate vocabulary entry'
    tokenizers = {name: make_tokenizer(name) for name in CONFIGS}
    cases = [make_case(tokenizers, 'default', note, text) for note, text in DEFAULT_CASES]
    cases += [make_case(tokenizers, config, note, text) for config, note, text in CONFIG_CASES]

    rng = random.Random(20240601)
    for i in range(60):
        text = ''.join(rng.choice(RANDOM_POOL) for _ in range(rng.randint(1, 24)))
        cases.append(make_case(tokenizers, list(CONFIGS)[i % len(CONFIGS)], 'random mix %d' % i, text))

    invalid = []
    for note, data in INVALID_UTF8:
        offset = first_error_offset(data)
        assert offset is not None, note
        invalid.append({'note': note, 'hex': data.hex(' '), 'offset': offset})

    byte_strings = []
    seen = set()
    while len(byte_strings) < 300:
        data = random_bytes(rng)
        if data in seen:
            continue
        seen.add(data)
        offset = first_error_offset(data)
        entry = {'hex': data.hex(' ')}
        if offset is None:
            entry['code_points'] = [ord(c) for c in data.decode('utf-8')]
        else:
            entry['offset'] = offset
        byte_strings.append(entry)

    fixture = {
        'generator': 'tools/make_tokenizer_cases.py',
        'unicode_version': unicodedata.unidata_version,
        'vocab': VOCAB,
        'configs': {name: dict({'lowercase': True, 'strip_accents': True, 'split_cjk': True,
                                'continuation_prefix': '##', 'max_word_chars': 100,
                                'pad_token': '[PAD]', 'unk_token': '[UNK]'}, **overrides)
                    for name, overrides in CONFIGS.items()},
        'cases': cases,
        'invalid_utf8': invalid,
        'random_bytes': byte_strings,
    }
    with open(OUTPUT, 'w', encoding='ascii') as out:
        json.dump(fixture, out, ensure_ascii=True, indent=1)
        out.write('\n')
    print('%s: %d cases, %d invalid UTF-8 strings, %d random byte strings'
          % (os.path.relpath(OUTPUT), len(cases), len(invalid), len(byte_strings)))


if __name__ == '__main__':
    main()
