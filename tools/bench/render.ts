import type { BenchReport, ConfigResult } from './types';
import { ratio } from './stats';

/** Pure rendering of a benchmark report: console table, Markdown summary and an SVG chart. */

const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);

const fmtRatio = (n: number | null): string => (n === null ? '–' : `${n.toFixed(2)}×`);

/**
 * a's events/s over b's, or null when either failed verification (or b is absent): a fast wrong answer is no result,
 * and neither is a comparison with one.
 */
export function verifiedRatio(a: ConfigResult, b: ConfigResult | undefined): number | null {
  return a.verify.ok && b?.verify.ok === true ? ratio(a.eventsPerSec, b.eventsPerSec) : null;
}

/** A table cell comparing c with a baseline: a ratio only when both verified. */
function ratioCell(c: ConfigResult, baseline: ConfigResult | undefined): string {
  if (!baseline || baseline === c) return '–';
  return c.verify.ok && baseline.verify.ok ? fmtRatio(verifiedRatio(c, baseline)) : 'unverified';
}

export function tableRows(report: BenchReport): string[][] {
  const raw = report.backlog.find((c) => c.kind === 'raw');
  const sink = report.backlog.find((c) => c.kind === 'sink');
  const header = [
    'config',
    'lanes',
    'workers',
    'subs/s',
    'events/s',
    'vs raw',
    'vs sink',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'actions/1k ev',
    '+heartbeats',
    'PutRecords',
    'CPU ms/1k ev',
    'peak RSS MB',
    'kinesis cores',
    'temporal cores',
    'verify',
  ];
  // A repeated pair's row is compared with the raw loop of the same pair, measured beside it.
  const rawBeside = (c: ConfigResult): ConfigResult | undefined =>
    report.backlog.find((r) => r.kind === 'raw' && r.pair === c.pair) ?? raw;
  const rows = report.backlog.map((c) => [
    c.name,
    String(c.lanes),
    c.kind === 'temporal' ? String(c.workers) : '–',
    fmt(c.submissionsPerSec, 1),
    fmt(c.eventsPerSec, 0),
    c.kind !== 'raw' ? ratioCell(c, rawBeside(c)) : '–',
    ratioCell(c, sink),
    fmt(c.latencyMs?.p50),
    fmt(c.latencyMs?.p95),
    fmt(c.latencyMs?.p99),
    fmt(c.temporal?.actionsPer1000Events, 1),
    fmt(c.temporal?.actionsPer1000WithHeartbeats, 1),
    fmt(c.putRecordsRequests),
    fmt(c.cpu.cpuPerEventUs, 0),
    fmt(c.cpu.peakRssMb, 0),
    fmt(c.cpu.services['kinesis'], 2),
    fmt(c.cpu.services['temporal'], 2),
    c.verify.ok ? 'PASS' : 'FAIL',
  ]);
  return [header, ...rows];
}

export function renderConsoleTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

function markdownTable(rows: string[][]): string {
  const [header, ...body] = rows;
  if (!header) return '';
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function pairsNote(pairs: readonly number[] | undefined): string {
  if (!pairs || pairs.length < 2) return '';
  return `, median of ${pairs.length} pairs: ${pairs.map((p) => fmtRatio(p)).join(', ')}`;
}

export function ratioLines(report: Pick<BenchReport, 'ratios'>): string[] {
  const r = report.ratios;
  return [
    `best Temporal configuration: ${r.best ?? '–'}`,
    `throughput vs raw loop: ${fmtRatio(r.vsRaw)}${pairsNote(r.vsRawPairs)} (target ≥ 0.90×)`,
    `throughput vs sink ceiling: ${fmtRatio(r.vsSink)}; raw loop vs sink: ${fmtRatio(r.rawVsSink)}`,
    ...(r.largeVsOrdinary === undefined
      ? []
      : [`large-submission mix vs ordinary mix, same lanes: ${fmtRatio(r.largeVsOrdinary)} (target ≥ 0.80×)`]),
  ];
}

export function renderMarkdown(report: BenchReport, chartFile?: string): string {
  const m = report.machine;
  const lines: string[] = [
    `# Benchmark ${report.startedAt}`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb.toFixed(0)} GB RAM, Node ${m.node}; load average at start ` +
      `${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(' / ')}. Local emulators (fauxqs, kinesis-local) and the ` +
      'Temporal dev server share the machine with the workers: absolute figures are noisy, compare ratios within a run.',
    '',
    `Options: \`${JSON.stringify(report.options)}\``,
    '',
    '## Backlog (preload, then drain)',
    '',
    markdownTable(tableRows(report)),
    '',
    ...ratioLines(report).map((l) => `- ${l}`),
    '',
  ];
  if (chartFile) lines.push(`![throughput and p95 latency per configuration](${chartFile})`, '');
  const s = report.steady;
  if (s) {
    lines.push(
      '## Steady load (real Schedule, BUFFER_ONE)',
      '',
      `${s.ratePerSec.toFixed(1)} submissions/s for ${s.durationSec} s, schedule every ${s.scheduleIntervalSec} s, ` +
        `${s.mode} mode, run budget ${s.runBudgetSeconds} s, ${s.lanes} lanes, first-receive wait ${s.receiveWaitSeconds} s: ` +
        `${s.submissions} submissions, ${s.events} events, ${s.runs} runs (gaps between runs ${s.runGapsMs.join(', ') || '–'} ms); ` +
        `lag p50 ${fmt(s.latencyMs?.p50)} ms, p95 ${fmt(s.latencyMs?.p95)} ms, p99 ${fmt(s.latencyMs?.p99)} ms, ` +
        `max ${fmt(s.latencyMs?.max)} ms; actions/1k events ${fmt(s.actionsPer1000Events, 1)} ` +
        `(${fmt(s.actionsPer1000WithHeartbeats, 1)} with heartbeats); ${fmt(s.actionsPerHour, 0)} actions/hour; ` +
        `verify ${s.verify.ok ? 'PASS' : 'FAIL'}.`,
      '',
    );
  }
  const temporal = report.backlog.filter((c) => c.kind === 'temporal' && c.temporal);
  if (temporal.length > 0) {
    lines.push('## Where the time goes (from the histories)', '');
    lines.push('| config | activity | count | mean schedule→start ms | mean run ms | payload KiB |');
    lines.push('| --- | --- | --- | --- | --- | --- |');
    for (const c of temporal) {
      for (const a of c.temporal?.history.activities ?? []) {
        lines.push(
          `| ${c.name} | ${a.type} | ${a.count} | ${fmt(a.meanScheduleToStartMs, 1)} | ${fmt(a.meanRunMs, 1)} | ${fmt(a.payloadBytes / 1024, 0)} |`,
        );
      }
    }
    lines.push('');
    lines.push('| config | runs | history events | workflow tasks | mean workflow task ms | payload bytes per event |');
    lines.push('| --- | --- | --- | --- | --- | --- |');
    for (const c of temporal) {
      const h = c.temporal?.history;
      if (!h) continue;
      lines.push(
        `| ${c.name} | ${h.runs} | ${h.events} | ${h.workflowTasks} | ${fmt(h.meanWorkflowTaskMs, 1)} | ${fmt(h.payloadBytes / Math.max(1, c.events), 0)} |`,
      );
    }
    lines.push('');
  }
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS: Record<ConfigResult['kind'], string> = { temporal: '#4a6cf7', raw: '#2f9e44', sink: '#adb5bd' };

/** Splits a label into lines of at most `width` characters at spaces (a longer word keeps its own line). */
export function wrapLabel(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** Two bar panels over the configurations: events/s (top) and p95 latency (bottom). */
export function renderSvg(report: BenchReport): string {
  const configs = report.backlog;
  const width = Math.max(480, 120 + configs.length * 90);
  const panelHeight = 180;
  const top = 50;
  const gap = 70;
  const left = 70;
  const plotWidth = width - left - 20;
  const height = top + panelHeight * 2 + gap + 80;
  const slot = configs.length > 0 ? plotWidth / configs.length : plotWidth;
  const barWidth = Math.min(50, slot * 0.6);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(`Benchmark ${report.startedAt}`)}</text>`,
    `<text x="${width / 2}" y="36" text-anchor="middle" fill="#555">${escapeXml(`${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node} (noisy shared machine)`)}</text>`,
  ];
  const panel = (y0: number, title: string, values: (number | null)[], unit: string): void => {
    const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
    const max = finite.length > 0 ? Math.max(...finite) : 1;
    const scale = max > 0 ? (panelHeight - 20) / max : 0;
    parts.push(`<text x="${left}" y="${y0 - 6}" font-weight="bold">${escapeXml(title)}</text>`);
    parts.push(
      `<line x1="${left}" y1="${y0 + panelHeight}" x2="${left + plotWidth}" y2="${y0 + panelHeight}" stroke="#333"/>`,
    );
    parts.push(`<line x1="${left}" y1="${y0}" x2="${left}" y2="${y0 + panelHeight}" stroke="#333"/>`);
    for (const frac of [0.5, 1]) {
      const y = y0 + panelHeight - (panelHeight - 20) * frac;
      parts.push(`<line x1="${left}" y1="${y}" x2="${left + plotWidth}" y2="${y}" stroke="#ddd"/>`);
      parts.push(`<text x="${left - 4}" y="${y + 4}" text-anchor="end" fill="#555">${fmt(max * frac)}</text>`);
    }
    values.forEach((v, i) => {
      const c = configs[i];
      if (!c) return;
      const x = left + slot * i + (slot - barWidth) / 2;
      if (v === null || !Number.isFinite(v)) {
        parts.push(
          `<text x="${x + barWidth / 2}" y="${y0 + panelHeight - 4}" text-anchor="middle" fill="#999">n/a</text>`,
        );
        return;
      }
      const h = v * scale;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(y0 + panelHeight - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[c.kind]}"><title>${escapeXml(`${c.name}: ${fmt(v)} ${unit}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y0 + panelHeight - h - 3).toFixed(1)}" text-anchor="middle">${fmt(v)}</text>`,
      );
    });
  };
  panel(
    top + 10,
    'Throughput (events/s)',
    configs.map((c) => c.eventsPerSec),
    'events/s',
  );
  panel(
    top + panelHeight + gap,
    'End-to-end latency p95 (ms, SQS send → Kinesis arrival)',
    configs.map((c) => c.latencyMs?.p95 ?? null),
    'ms',
  );
  configs.forEach((c, i) => {
    const x = left + slot * i + slot / 2;
    const y = top + panelHeight * 2 + gap + 16;
    const label = wrapLabel(c.name, 14);
    label.forEach((line, j) => {
      parts.push(`<text x="${x.toFixed(1)}" y="${y + j * 13}" text-anchor="middle">${escapeXml(line)}</text>`);
    });
    parts.push(
      `<text x="${x.toFixed(1)}" y="${y + label.length * 13}" text-anchor="middle" fill="#555">${escapeXml(c.verify.ok ? 'verified' : 'FAILED')}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
