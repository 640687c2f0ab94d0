// Real npm packages, ESM-only and CommonJS, imported as their docs show.
// `node compare.mjs` runs the same function under Node: the test compares.
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import MarkdownIt from 'markdown-it';
import { marked } from 'marked';
import ms from 'ms';
import { customAlphabet, nanoid } from 'nanoid';
import { v4 as uuidv4, v5 as uuidv5, validate } from 'uuid';
import YAML, { parseDocument } from 'yaml';
import { z } from 'zod';
import { add, mul, RATE, version, nested, loop } from 'local-cjs';
import pick from 'local-conditions';

export function run() {
  dayjs.extend(utc);
  const User = z.object({ url: z.url(), age: z.number().int().min(18), email: z.email() });
  return {
    dayjs: dayjs.utc('2024-03-05T10:20:30Z').add(1, 'day').format('YYYY-MM-DD HH:mm [UTC]'),
    markdownIt: new MarkdownIt().render('**bold** and `code`\n\n- a\n- b'),
    marked: marked.parse('# Hi *there*\n\nA [link](https://example.com).'),
    ms: [ms('2 days'), ms('1.5h'), ms(60000), ms(3600000, { long: true })],
    nanoid: [nanoid().length, /^[ab]{8}$/.test(customAlphabet('ab', 8)())],
    uuid: [validate(uuidv4()), uuidv5('hello', uuidv5.URL)],
    yaml: [YAML.parse('a: 1\nb: [x, y]\nc: { d: true }'), YAML.stringify({ k: [1, 2], s: 'text' }), parseDocument('x: 1').get('x')],
    zod: [
      User.safeParse({ url: 'https://x.dev/p', age: 30, email: 'a@b.co' }).success,
      User.safeParse({ url: 'not a url', age: 12, email: 'nope' }).error.issues.map((i) => i.path.join('.')),
    ],
    cjs: [add(2, 3), mul(4, 5), RATE, version, nested.deep, loop()],
    conditions: pick(),
  };
}
