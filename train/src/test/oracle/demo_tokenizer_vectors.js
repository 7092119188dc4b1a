// Writes train/src/test/resources/demo/tokenizer_vectors.json: the demo model's tokenizer.json run
// by the real `tokenizers` library (npm tokenizers@0.23.2, the Node binding of the Rust crate the
// Python stack uses) on the demo's evaluation dialogues, so the Java tokenizer can be checked against it.
//
//   cd /tmp/somewhere && npm install tokenizers@0.23.2
//   NODE_PATH=/tmp/somewhere/node_modules node train/src/test/oracle/demo_tokenizer_vectors.js
const tk = require('tokenizers');
const fs = require('fs');

const demo = 'train/src/main/resources/demo';
const tokenizer = tk.Tokenizer.fromFile(demo + '/model/tokenizer.json');
const texts = [];
for (const line of fs.readFileSync(demo + '/data/socratic_eval.jsonl', 'utf8').split('\n')) {
  if (!line.trim()) continue;
  for (const m of JSON.parse(line).messages) texts.push(m.content);
}
texts.push('<|start_header_id|>user<|end_header_id|>\n\nWhat is a river?<|eot_id|>', 'Mixed: 日本語 and English, 123 4567!', '  spaces\n\nand lines ');

(async () => {
  const cases = [];
  for (const text of texts) {
    const withSpecials = await tokenizer.encode(text);
    const plain = await tokenizer.encode(text, null, { addSpecialTokens: false });
    cases.push({ text, ids: plain.getIds(), ids_with_special: withSpecials.getIds(),
                 decoded: await tokenizer.decode(plain.getIds(), false) });
  }
  fs.writeFileSync('train/src/test/resources/demo/tokenizer_vectors.json', JSON.stringify({ cases }, null, 1) + '\n');
  console.log(cases.length + ' cases');
})();
