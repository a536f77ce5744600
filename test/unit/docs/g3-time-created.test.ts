import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// G3 as the contract states it must say what a consumer sees on a redelivery: the same event_id, possibly a later
// time_created (every delivery is processed anew; tools/verify/judge.ts allows exactly that and no more). A consumer
// that keeps the first copy of each id can otherwise be surprised by one submission with two times.

const ROOT = resolve(__dirname, '../../..');
const read = (file: string): string => readFileSync(resolve(ROOT, file), 'utf8');

/** The text of one Markdown list item starting with `marker`, up to the next item or blank line. */
function listItem(text: string, marker: string): string {
  const start = text.indexOf(marker);
  if (start < 0) return '';
  const rest = text.slice(start);
  const end = rest.search(/\n(?:- |\s*\n)/);
  return (end < 0 ? rest : rest.slice(0, end)).replace(/\s+/g, ' ');
}

describe('G3: a redelivered copy keeps its event_id and may carry a later time_created', () => {
  it('is stated in docs/contract.md', () => {
    const g3 = listItem(read('docs/contract.md'), '- **G3 Identity.**');
    expect(g3).toMatch(/same `event_id`/);
    expect(g3).toMatch(/later `time_created`/);
  });

  it("is stated in the README's one-liner", () => {
    const g3 = listItem(read('README.md'), '- **G3 stable identity**');
    expect(g3).toMatch(/same `event_id`/);
    expect(g3).toMatch(/later `time_created`/);
  });
});
