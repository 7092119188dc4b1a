// Generates model/src/test/resources/tokenizer/oracle/*.json with the real `tokenizers` library
// (npm package tokenizers@0.23.2, the Node binding of the same Rust crate the Python stack uses).
//
//   cd /tmp/somewhere && npm install tokenizers@0.23.2
//   NODE_PATH=/tmp/somewhere/node_modules node model/src/test/oracle/generate.js model/src/test/resources/tokenizer/oracle
//
// 1. A seeded multilingual corpus trains two small BPE models with tokenizers' own trainer:
//    a byte-level one (Llama-3 split regex + ByteLevel) and a SentencePiece-style one (Metaspace),
//    each cut to its first merges so the files stay small.
// 2. Variants patch the non-model sections (and model flags) of a base file: normalizers,
//    pre-tokenizers, added tokens with their flags, post-processors, decoders.
// 3. For every variant and text the library's own encode/decode results are written down.
const tk = require('tokenizers');
const fs = require('fs');
const path = require('path');
const os = require('os');

const out = process.argv[2];
fs.mkdirSync(out, { recursive: true });

let seed = 12345;
function rand() { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000; }
function pick(a) { return a[Math.floor(rand() * a.length)]; }

const words = {
  en: 'the of and to in is was he for it with as his on be at by had are but from or have an they which one you were all we her she there would their will when who him been has more if no out do so can what up said about other into than its time only could new them man some these then two first may any like now my such make over our even most me state after also made many did must before back see through way where get much go well your know should down work year because come people just say each those take day good how long Mr own too little use US very great still men here life both between old under last never place same another think house while high right might came off find states since used give against three himself look few general hand school part small American upon during always again public'.split(' '),
  code: ['def', 'return', 'self', 'import', 'class', 'for', 'while', 'if', 'else', '{', '}', '(', ')', '=>', '==', '!=', '+=', '//', '/*', '*/', 'int', 'String', 'null', 'true', 'false', 'x[i]', 'fn', 'let', 'mut', '&mut', '::', '->', '...', '#include', '<stdio.h>', 'printf("%d\\n", x);'],
  ja: ['日本語', 'の', 'です', 'ます', '東京', 'ソクラテス', '対話', '考える', 'なぜ', 'そう', '幸せ', 'とは', '何', 'ですか', '。', '、', '「', '」', 'カタカナ', 'ひらがな', '漢字', '学校', '先生', '学生', '食べる', '飲む'],
  zh: ['中文', '我们', '你好', '世界', '人工智能', '机器学习', '数据', '模型', '训练', '的', '是', '了', '在', '和'],
  ko: ['한국어', '안녕하세요', '감사합니다', '사랑', '학교', '컴퓨터'],
  misc: ['café', 'naïve', 'résumé', 'Ångström', 'Straße', 'Σωκράτης', 'Ἀθῆναι', 'Москва', 'привет', 'мир', 'مرحبا', 'العالم', 'नमस्ते', 'दुनिया', 'שלום', 'ไทย', 'Việt', 'ｆｕｌｌ', '①②③', 'Ⅷ', '½', '²'],
  emoji: ['🙂', '🚀', '👍🏽', '👨‍👩‍👧', '🇯🇵', '❤️', '✓', '—', '“quotes”', '…', '€', '𠀀𠀁'],
  num: ['0', '1', '12', '123', '1234', '2024', '3.14159', '1,000,000', '-42', '0x1F', '1e-9', '99%'],
};
function sentence() {
  const n = 3 + Math.floor(rand() * 12);
  const kinds = Object.keys(words);
  const main = pick(kinds);
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = rand() < 0.7 ? main : pick(kinds);
    const w = pick(words[k]);
    const sep = (k === 'ja' || k === 'zh') && rand() < 0.7 ? '' : pick([' ', ' ', ' ', ' ', '  ', '\t', '\n', ', ', '. ']);
    s += (i === 0 ? '' : sep) + (rand() < 0.1 ? w.toUpperCase() : w);
  }
  return s + pick(['.', '!', '?', '\n', '\n\n', '']);
}
let corpus = '';
while (corpus.length < 400000) corpus += sentence() + '\n';
const corpusFile = path.join(os.tmpdir(), 'qlora4j-tokenizer-corpus.txt');
fs.writeFileSync(corpusFile, corpus);

const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function train(preTokenizer, maxMerges, extraTokens) {
  const t = tk.Tokenizer.fromString(JSON.stringify({ version: '1.0', truncation: null, padding: null, added_tokens: [],
    normalizer: null, pre_tokenizer: preTokenizer, post_processor: null, decoder: null,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: {}, merges: [] } }));
  t.train([corpusFile]);
  const file = path.join(os.tmpdir(), 'qlora4j-trained.json');
  t.save(file);
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  // keep the alphabet plus the results of the first merges (a valid BPE on its own)
  const merges = j.model.merges.slice(0, maxMerges);
  const keep = new Set(extraTokens);
  for (const [tok, id] of Object.entries(j.model.vocab)) if ([...tok].length === 1) keep.add(tok);
  for (const [a, b] of merges) { keep.add(a); keep.add(b); keep.add(a + b); }
  const vocab = {};
  let id = 0;
  for (const tok of keep) vocab[tok] = id++;
  j.model.vocab = vocab;
  j.model.merges = merges;
  return j;
}

const alphabet = tk.byteLevelAlphabet();
const byteLevelBase = train({ type: 'Sequence', pretokenizers: [
  { type: 'Split', pattern: { Regex: LLAMA3 }, behavior: 'Isolated', invert: false },
  { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] }, 3000, alphabet);
const byteTokens = [];
for (let b = 0; b < 256; b++) byteTokens.push('<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>');
const spBase = train({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }, 2500, ['<unk>', '<s>', '</s>', ...byteTokens]);
fs.writeFileSync(path.join(out, 'base-bytelevel.json'), JSON.stringify(byteLevelBase));
fs.writeFileSync(path.join(out, 'base-metaspace.json'), JSON.stringify(spBase));

// a hand-made model for the word-piece style decorations
const decorated = (() => {
  const vocab = {};
  const add = (t) => { if (!(t in vocab)) vocab[t] = Object.keys(vocab).length; };
  for (const c of 'abcdehlnorstuw') { add(c); add('##' + c); add(c + '</w>'); add('##' + c + '</w>'); }
  const merges = [['h', '##e'], ['he', '##l'], ['hel', '##l'], ['##l', '##o</w>'], ['hell', '##o</w>'], ['##e', '##r'], ['t', '##h'], ['th', '##e</w>'], ['##o', '##r']];
  for (const [a, b] of merges) add(a + b.slice(2));
  add('[UNK]');
  return { type: 'BPE', dropout: null, unk_token: '[UNK]', continuing_subword_prefix: '##', end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges };
})();

function added(content, special, opts = {}) {
  return Object.assign({ id: 0, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special }, opts);
}
const llamaSpecials = ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'].map((c) => added(c, true));
const bos = (content, id) => ({ type: 'TemplateProcessing', single: [{ SpecialToken: { id: content, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }], special_tokens: { [content]: { id: content, ids: [id], tokens: [content] } } });
const split = (regex, behavior = 'Isolated', invert = false) => ({ type: 'Split', pattern: { Regex: regex }, behavior, invert });
const byteLevelPre = (prefix = false, regex = false) => ({ type: 'ByteLevel', add_prefix_space: prefix, trim_offsets: true, use_regex: regex });
const byteLevelDec = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
const spDecoder = { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] };
const spModel = { unk_token: '<unk>', fuse_unk: true, byte_fallback: true };
const byteLevelVocabSize = Object.keys(byteLevelBase.model.vocab).length;

const variants = [
  { name: 'llama3-ignore-merges', base: 'bytelevel', model: { ignore_merges: true }, added_tokens: llamaSpecials,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split(LLAMA3), byteLevelPre()] }, post_processor: bos('<|begin_of_text|>', byteLevelVocabSize), decoder: byteLevelDec },
  { name: 'llama3-merges', base: 'bytelevel', added_tokens: llamaSpecials,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split(LLAMA3), byteLevelPre()] }, post_processor: bos('<|begin_of_text|>', byteLevelVocabSize), decoder: byteLevelDec },
  { name: 'qwen2-nfc', base: 'bytelevel', normalizer: { type: 'NFC' },
    added_tokens: [added('<|endoftext|>', true), added('<|im_start|>', true), added('<|im_end|>', true), added('Café', false), added('<tool_call>', false, { normalized: false })],
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split(QWEN2), byteLevelPre()] }, post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }, decoder: byteLevelDec },
  { name: 'gpt2-prefix-space', base: 'bytelevel', added_tokens: [added('<|endoftext|>', true)],
    pre_tokenizer: byteLevelPre(true, true), post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }, decoder: byteLevelDec },
  { name: 'bytelevel-digits-punct', base: 'bytelevel', normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, { type: 'Punctuation', behavior: 'Contiguous' }, split('\\s+', 'MergedWithNext'), byteLevelPre()] }, decoder: byteLevelDec },
  { name: 'bytelevel-split-behaviors', base: 'bytelevel', normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Strip', strip_left: true, strip_right: true }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split('\\p{P}+', 'MergedWithPrevious'), split('[0-9]+', 'Contiguous'), split('\\s', 'Removed'), split('\\p{Han}+|\\p{Hiragana}+', 'Isolated', true), byteLevelPre()] }, decoder: byteLevelDec },
  { name: 'bytelevel-added-flags', base: 'bytelevel', normalizer: { type: 'Lowercase' },
    added_tokens: [added('<mask>', true, { lstrip: true }), added('<sep>', true, { rstrip: true }), added('[both]', true, { lstrip: true, rstrip: true }), added('word', false, { single_word: true }), added('Hello', false), added('<raw>', false, { normalized: false }), added('<raw>x', false, { normalized: false })],
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, byteLevelPre()] }, decoder: byteLevelDec },
  { name: 'bytelevel-whitespace-nmt', base: 'bytelevel', normalizer: { type: 'Sequence', normalizers: [{ type: 'Nmt' }, { type: 'NFKD' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, byteLevelPre()] }, decoder: byteLevelDec },
  { name: 'gemma-replace-bytefallback', base: 'metaspace', model: spModel,
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '▁' }, pre_tokenizer: null,
    added_tokens: [added('<unk>', true), added('<s>', true), added('</s>', true), added('<start_of_turn>', true), added('<end_of_turn>', true)],
    post_processor: bos('<s>', 1), decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }] } },
  { name: 'llama2-prepend-rstrip', base: 'metaspace', model: spModel,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] }, pre_tokenizer: null,
    added_tokens: [added('<unk>', true), added('<s>', true), added('</s>', true), added('[INST]', false, { rstrip: true, normalized: false }), added('[/INST]', false, { lstrip: true, rstrip: true, normalized: false }), added('<<SYS>>', false, { normalized: true })],
    post_processor: bos('<s>', 1), decoder: spDecoder },
  { name: 'metaspace-first', base: 'metaspace', model: spModel, normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    added_tokens: [added('<unk>', true), added('<s>', true), added('</s>', true), added('<|im_start|>', true)],
    post_processor: bos('<s>', 1), decoder: { type: 'Sequence', decoders: [{ type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false }, { type: 'ByteFallback' }, { type: 'Fuse' }] } },
  { name: 'metaspace-always-split', base: 'metaspace', model: { unk_token: '<unk>', fuse_unk: false, byte_fallback: false },
    normalizer: { type: 'NFKC' }, pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    added_tokens: [added('<unk>', true), added('<s>', true), added('</s>', true)],
    post_processor: { type: 'Sequence', processors: [{ type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }, { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 1], trim_offsets: true, add_prefix_space: true }] },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true } },
  { name: 'decorated-subwords', model_full: decorated, pre_tokenizer: { type: 'Whitespace' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 101], cls: ['[CLS]', 100] }, decoder: null },
];

const texts = [
  '', ' ', '   ', '\n\n', '\t \t', 'Hello world', ' Hello world', 'Hello  world!  ', 'hello\nworld\r\n',
  "I'M can't WE'LL they'Ve you're SHE'S he'd 'S",
  'The unexamined life is not worth living.', 'def f(x):\n    return x * 2\n\n\n    pass',
  'if (a != b) { printf("%d\\n", x); } // done', '3.14159 and 1,000,000 and -42 and 0x1F',
  '1234567890'.repeat(30), 'a'.repeat(1500), ' '.repeat(300) + 'x', '\n'.repeat(50) + 'y  \n \n  ',
  '日本語の文章です。東京で考える。', '幸せとは何ですか？', 'ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３', '한국어 안녕하세요 각',
  'café cafe\u0301 naïve re\u0301sume\u0301 Ångström Straße İstanbul ΣΩΚΡΑΤΗΣ ΟΔΟΣ', 'Ἀθῆναι and Σωκράτης',
  '🙂🚀 emoji ✓ — “quotes” 👍🏽 👨‍👩‍👧 🇯🇵 ❤️', '𠀀𠀁 supplementary 𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'x\u200by zero-width\ufeffbom \u0085nel \u00a0nbsp \u2028ls',
  'مرحبا بالعالم नमस्ते दुनिया שלום ไทย Việt', 'mixed日本語andEnglish文字123abc',
  '①②③ Ⅷ ½ ² ٣٤٥ ४२', 'unknown chars: ☃ ♞ ⌘ ǅ',
  '<|begin_of_text|>Hi<|eot_id|> <|start_header_id|>user<|end_header_id|>\n\nyo',
  '<|im_start|>system\nYou are<|im_end|>\n<|endoftext|>', 'I drink Café and CAFÉ and café<tool_call>x',
  'a <mask> b<mask>c <sep>  d [both]   e  [both]f', 'word words sword word, (word) Word hello HELLO <raw>x <raw>y',
  '<s>[INST] <<SYS>>\nBe nice\n<</SYS>>\n\nHi [/INST] Sure</s><s>[INST]next[/INST]', '  <s>  leading and trailing  </s>  ',
  '<start_of_turn>user\nWhat is justice?<end_of_turn>\n<start_of_turn>model\n', '<unk> <s> </s> <pad>',
  'hello there world', 'hello the\tworld ##x unknownXYZ q', 'the other the there hello',
];

const results = [];
(async () => {
  for (const v of variants) {
    const j = v.model_full
      ? { version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, model: v.model_full }
      : JSON.parse(JSON.stringify(v.base === 'bytelevel' ? byteLevelBase : spBase));
    for (const k of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'added_tokens']) if (k in v) j[k] = v[k];
    if (v.model) Object.assign(j.model, v.model);
    const tok = tk.Tokenizer.fromString(JSON.stringify(j));
    const cases = [];
    for (const text of texts) {
      const e = await tok.encode(text, null, { addSpecialTokens: false });
      const es = await tok.encode(text, null, { addSpecialTokens: true });
      const ids = Array.from(e.getIds());
      const idsWithSpecial = Array.from(es.getIds());
      cases.push({ text, ids, tokens: e.getTokens(), ids_with_special: idsWithSpecial,
        decoded: await tok.decode(ids, false), decoded_skip_special: await tok.decode(idsWithSpecial, true) });
    }
    const patch = {};
    for (const k of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'added_tokens', 'model', 'model_full']) if (k in v) patch[k] = v[k];
    results.push({ name: v.name, base: v.base || null, patch, vocab_size: tok.getVocabSize(true), cases });
  }
  fs.writeFileSync(path.join(out, 'variants.json'), JSON.stringify({ generator: 'tokenizers@0.23.2 (npm)', variants: results }));
  console.log('wrote', results.length, 'variants x', texts.length, 'texts');
})();
