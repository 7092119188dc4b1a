// The token-id oracle for JinjaOracleTest: Hugging Face tokenizers' Rust core (npm `tokenizers`, the node binding)
// encodes each text with each tokenizer.json, without special tokens added, as apply_chat_template(tokenize=True) does.
// stdin: {"tokenizers": {"name": "path/to/tokenizer.json", ...}, "texts": ["...", ...]}
// stdout: {"name": [[id, ...], ...], ...}, one list of ids per text, in order.
const { Tokenizer } = require('tokenizers');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const request = JSON.parse(input);
  const out = {};
  for (const [name, file] of Object.entries(request.tokenizers)) {
    const tokenizer = Tokenizer.fromFile(file);
    out[name] = [];
    for (const text of request.texts) {
      const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
      out[name].push(Array.from(encoding.getIds()));
    }
  }
  process.stdout.write(JSON.stringify(out));
});
