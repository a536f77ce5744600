import {
  renderConsoleTable,
  renderMarkdown,
  renderSvg,
  tableRows,
  verifiedRatio,
  wrapLabel,
} from '../../../tools/bench/render';
import type { BenchReport, ConfigResult } from '../../../tools/bench/types';

function config(partial: Partial<ConfigResult> & Pick<ConfigResult, 'name' | 'kind' | 'eventsPerSec'>): ConfigResult {
  return {
    lanes: 4,
    workers: 1,
    submissions: 100,
    validSubmissions: 90,
    events: 700,
    durationMs: 1000,
    submissionsPerSec: 100,
    latencyMs: { count: 700, p50: 100, p95: 200, p99: 300, max: 400 },
    putRecordsRequests: 10,
    cpu: { workerCpuMs: 500, cpuPerEventUs: 714, peakRssMb: 300, services: { kinesis: 0.5, temporal: 0.2 } },
    verify: { ok: true, deliveredEvents: 700, expectedEvents: 700, duplicates: 0, detail: 'PASS' },
    ...partial,
  };
}

const report: BenchReport = {
  startedAt: '2026-11-28T16:00:00.000Z',
  finishedAt: '2026-11-28T16:05:00.000Z',
  machine: {
    cpus: 2,
    cpuModel: 'Test CPU <fast> & cheap',
    memoryGb: 24,
    node: 'v20.20.2',
    loadAverageAtStart: [1, 1, 1],
  },
  options: { submissions: 100 },
  backlog: [
    config({ name: 'sink', kind: 'sink', eventsPerSec: 2000, latencyMs: null }),
    config({ name: 'temporal 4 lanes', kind: 'temporal', eventsPerSec: 400 }),
    config({
      name: 'raw loop',
      kind: 'raw',
      eventsPerSec: 500,
      verify: { ok: false, deliveredEvents: 1, expectedEvents: 2, duplicates: 0, detail: 'FAIL' },
    }),
  ],
  steady: null,
  ratios: { best: 'temporal 4 lanes', vsRaw: 0.8, vsSink: 0.2, rawVsSink: 0.25 },
  notes: ['a note'],
};

describe('bench rendering', () => {
  it('builds a table with ratios against the raw loop and the sink, none against a failed verification', () => {
    const rows = tableRows(report);
    expect(rows[0]).toContain('vs raw');
    const temporal = rows.find((r) => r[0] === 'temporal 4 lanes');
    // The raw loop failed verification: its events/s are no baseline.
    expect(temporal?.[5]).toBe('unverified');
    expect(temporal?.[6]).toBe('0.20×');
    const raw = rows.find((r) => r[0] === 'raw loop');
    expect(raw?.[6]).toBe('unverified');
    expect(raw?.at(-1)).toBe('FAIL');
    const text = renderConsoleTable(rows);
    expect(text.split('\n')).toHaveLength(4);
  });

  it('compares a repeated pair with its own raw run and states the pairs behind the median', () => {
    const paired: BenchReport = {
      ...report,
      backlog: [
        ...report.backlog,
        config({ name: 'raw loop #2', kind: 'raw', eventsPerSec: 1000, pair: 2 }),
        config({ name: 'temporal 4 lanes #2', kind: 'temporal', eventsPerSec: 900, pair: 2 }),
      ],
      ratios: { ...report.ratios, vsRaw: 0.85, vsRawPairs: [0.8, 0.9] },
    };
    expect(tableRows(paired).find((r) => r[0] === 'temporal 4 lanes #2')?.[5]).toBe('0.90×');
    expect(renderMarkdown(paired)).toContain('throughput vs raw loop: 0.85×, median of 2 pairs: 0.80×, 0.90×');
  });

  it('renders Markdown with the table, the ratios, the chart link and the notes', () => {
    const md = renderMarkdown(report, 'latest.svg');
    expect(md).toContain('| config | lanes |');
    expect(md).toContain('throughput vs raw loop: 0.80×');
    expect(md).toContain('![throughput and p95 latency per configuration](latest.svg)');
    expect(md).toContain('- a note');
  });

  it('draws a well-formed SVG with one bar per configuration and escaped text', () => {
    const svg = renderSvg(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // Throughput: 3 bars; latency: 2 bars (the sink has no latency, drawn as n/a).
    expect(svg.match(/<rect x=/g)).toHaveLength(5);
    expect(svg).toContain('n/a');
    expect(svg).toContain('Test CPU &lt;fast&gt; &amp; cheap');
    expect(svg).not.toContain('<fast>');
    expect(svg).toContain('FAILED');
  });
});

describe('verifiedRatio', () => {
  const fast = config({ name: 'temporal', kind: 'temporal', eventsPerSec: 900 });
  const base = config({ name: 'raw', kind: 'raw', eventsPerSec: 1000 });
  const failed = { ok: false, deliveredEvents: 1, expectedEvents: 2, duplicates: 0, detail: 'FAIL' };

  it('is the events/s ratio of two verified configurations', () => {
    expect(verifiedRatio(fast, base)).toBeCloseTo(0.9);
  });

  it('is no ratio when either side failed verification, or the baseline is missing', () => {
    expect(verifiedRatio({ ...fast, verify: failed }, base)).toBeNull();
    expect(verifiedRatio(fast, { ...base, verify: failed })).toBeNull();
    expect(verifiedRatio(fast, undefined)).toBeNull();
  });
});

describe('chart labels', () => {
  it('wraps configuration names at spaces', () => {
    expect(wrapLabel('temporal 8 lanes × 2 workers', 14)).toEqual(['temporal 8', 'lanes × 2', 'workers']);
    expect(wrapLabel('sink', 14)).toEqual(['sink']);
  });
});
