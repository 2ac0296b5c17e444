// Strings that stress a tokenizer: scripts, emoji sequences, whitespace runs, code, special tokens, long words.
export const HARD = [
  'Hello, world!',
  '你好，世界。机器学习很有趣。日本語のテキストとカタカナ、한국어 문장도.',
  'emoji 👍🏽 👩🏾‍💻 👨‍👩‍👧‍👦 flags 🇯🇵🇺🇸🏳️‍🌈 and ❤️',
  'spaces:     five, tabs:\t\t\ttwo+, CRLF:\r\nline\r\n\r\n  trailing   ',
  '   leading whitespace and\n\n\n\nnewline runs\n   \n',
  'digits 1234567890 3.14159 1,000,000 0x1F 2024-11-23 ١٢٣',
  'function add(a, b) {\n\treturn a + b; // sum\n}\nconst x = [1, 2, 3].map((v) => v ** 2);',
  "contractions: don't, I'm, they'll, we've, she'd, IT'S, O'Neil's",
  'combining: e\u0301 vs é, n\u0303, Å, ﬁ ligature, ＦＵＬＬ width, nbsp\u00a0em\u2003zw\u200bj',
  'Ελληνικά Русский العربية עברית हिन्दी',
  '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>',
  'SELECT id, name FROM users WHERE email LIKE \'%@example.com\' ORDER BY id DESC;\n-- done',
  '```python\ndef f(x):\n    return {"k": [x, None, True]}\n```',
  'a'.repeat(300) + ' ' + '!?'.repeat(50),
];
