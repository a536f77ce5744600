import { MAX_DETAIL_LENGTH } from '../../src/domain/detail';
import type { PartitionKeyField } from '../../src/domain/partition-key';
import { INVALID_REASONS, type InvalidReason } from '../../src/domain/reasons';
import { renderSubmission, type RenderedSubmission } from '../../src/domain/render-submission';
import { validateSubmission, type Validation } from '../../src/domain/validate-submission';
import type { ValidationLimits } from '../../src/domain/limits';
import { expectedEvents, judgeBody, type OracleSubmission } from './oracle';

// What can go wrong with one case. Every kind except none fails the fuzz run.
export const PROBLEM_KINDS = ['crash', 'invalid-accepted', 'valid-rejected', 'wrong-output', 'bad-verdict'] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface Problem {
  kind: ProblemKind;
  message: string;
}

export interface CaseResult {
  accepted: boolean;
  reason?: InvalidReason;
  problems: Problem[];
}

export interface CaseOptions {
  includeProvenance: boolean;
  partitionKeyField: PartitionKeyField;
}

const PROCESSED_AT = new Date('2026-11-28T05:44:18.592Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// What safeDetail promises: no C0/C1 controls, line separators or bidi controls.
const UNSAFE_DETAIL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const REASONS: ReadonlySet<string> = new Set(INVALID_REASONS);

function attempt<T>(run: () => T, problems: Problem[], what: string): T | undefined {
  try {
    return run();
  } catch (error) {
    problems.push({ kind: 'crash', message: `${what} threw: ${error instanceof Error ? error.stack : String(error)}` });
    return undefined;
  }
}

function checkRejection(result: { reason: string; detail: unknown }, problems: Problem[], what: string): void {
  if (!REASONS.has(result.reason))
    problems.push({ kind: 'bad-verdict', message: `${what}: unknown reason ${result.reason}` });
  if (typeof result.detail !== 'string' || result.detail.length === 0 || result.detail.length > MAX_DETAIL_LENGTH) {
    problems.push({ kind: 'bad-verdict', message: `${what}: detail missing or longer than ${MAX_DETAIL_LENGTH}` });
  } else if (UNSAFE_DETAIL.test(result.detail)) {
    problems.push({ kind: 'bad-verdict', message: `${what}: detail holds an unescaped control character` });
  }
}

function sameKeys(record: Record<string, unknown>, expected: Record<string, unknown>): boolean {
  const keys = Object.keys(record).sort();
  const wanted = [...Object.keys(expected), 'event_id'].sort();
  return keys.length === wanted.length && keys.every((key, i) => key === wanted[i]);
}

// docs/contract.md#output for an accepted body: exactly the oracle's events, in order, with unique, stable, message-bound ids.
function checkOutput(
  body: string,
  result: Extract<RenderedSubmission, { valid: true }>,
  submission: OracleSubmission,
  limits: ValidationLimits,
  options: CaseOptions,
  problems: Problem[],
): void {
  const wrong = (message: string) => problems.push({ kind: 'wrong-output', message });
  const expected = expectedEvents(submission, { ...options, processedAt: PROCESSED_AT });
  if (result.records.length !== expected.length) {
    wrong(`${result.records.length} records, expected ${expected.length}`);
    return;
  }
  if (result.partitionKey !== submission[options.partitionKeyField]) wrong('partition key is not the chosen field');
  if (result.submissionId !== submission.submission_id || result.deviceId !== submission.device_id)
    wrong('submission or device id differs from the body');
  if (!Number.isFinite(Date.parse(submission.time_created))) wrong('accepted a time_created Date.parse cannot read');
  const ids = new Set<string>();
  result.records.forEach((text, index) => {
    const record = JSON.parse(text) as Record<string, unknown>;
    const want = expected[index] ?? {};
    if (!sameKeys(record, want)) {
      wrong(`record ${index} has fields ${Object.keys(record).join(',')}`);
      return;
    }
    for (const [key, value] of Object.entries(want)) {
      if (!Object.is(record[key], value) && !(key === 'destination_port' && record[key] === value)) {
        wrong(`record ${index}: ${key} is not the submission's value`);
      }
    }
    const id = record.event_id;
    if (typeof id !== 'string' || !UUID.test(id)) wrong(`record ${index}: event_id is not a lower-case UUID`);
    else ids.add(id);
  });
  if (ids.size !== result.records.length) wrong('event ids are not unique');

  // G3: the same message gives the same records; another message id gives other event ids and nothing else.
  const again = renderSubmission(body, { ...transformContext(options, 'message-1'), limits });
  if (!again.valid || again.records.join('\n') !== result.records.join('\n')) wrong('a second transform differs');
  const other = renderSubmission(body, { ...transformContext(options, 'message-2'), limits });
  if (!other.valid || other.records.some((record, i) => record === result.records[i]))
    wrong('another message id kept an event id');
}

function transformContext(options: CaseOptions, messageId: string) {
  return {
    messageId,
    processedAt: PROCESSED_AT,
    includeProvenance: options.includeProvenance,
    partitionKeyField: options.partitionKeyField,
  };
}

// One body through validateSubmission and renderSubmission, judged against the independent oracle.
// `generatedValid` marks bodies built to be valid: they must be accepted, whatever the oracle thinks.
export function checkBody(
  body: string,
  limits: ValidationLimits,
  options: CaseOptions,
  generatedValid = false,
): CaseResult {
  const problems: Problem[] = [];
  const validation: Validation | undefined = attempt(
    () => validateSubmission(body, limits),
    problems,
    'validateSubmission',
  );
  const result: RenderedSubmission | undefined = attempt(
    () => renderSubmission(body, { ...transformContext(options, 'message-1'), limits }),
    problems,
    'renderSubmission',
  );
  const verdict = attempt(
    () => judgeBody(body, limits, { ...options, processedAt: PROCESSED_AT }),
    problems,
    'the oracle',
  );
  if (!validation || !result || !verdict) return { accepted: false, problems };

  if (!validation.valid) checkRejection(validation, problems, 'validateSubmission');
  if (!result.valid) checkRejection(result, problems, 'renderSubmission');
  if (!validation.valid && (result.valid || result.reason !== validation.reason)) {
    problems.push({ kind: 'bad-verdict', message: 'renderSubmission disagrees with validateSubmission' });
  }

  if (result.valid && !verdict.valid) {
    problems.push({ kind: 'invalid-accepted', message: `accepted, but the oracle says: ${verdict.why}` });
  } else if (!result.valid && (verdict.valid || generatedValid)) {
    const oracle = verdict.valid ? 'valid' : `invalid (${verdict.why})`;
    problems.push({
      kind: 'valid-rejected',
      message: `rejected as ${result.reason} (${result.detail}), oracle: ${oracle}`,
    });
  } else if (result.valid && verdict.valid) {
    checkOutput(body, result, verdict.submission, limits, options, problems);
  }
  return result.valid ? { accepted: true, problems } : { accepted: false, reason: result.reason, problems };
}

// Running totals, shared by the CLI and the tests' summaries.
export class FuzzTally {
  cases = 0;
  accepted = 0;
  readonly rejectedByReason = new Map<InvalidReason, number>();
  readonly problemsByKind = new Map<ProblemKind, number>();
  readonly examples: { body: string; labels: string[]; problem: Problem }[] = [];

  add(result: CaseResult, body: string, labels: string[], keepExamples = 5): void {
    this.cases++;
    if (result.accepted) this.accepted++;
    else if (result.reason)
      this.rejectedByReason.set(result.reason, (this.rejectedByReason.get(result.reason) ?? 0) + 1);
    for (const problem of result.problems) {
      this.problemsByKind.set(problem.kind, (this.problemsByKind.get(problem.kind) ?? 0) + 1);
      if (this.examples.length < keepExamples) this.examples.push({ body, labels, problem });
    }
  }

  get failures(): number {
    let total = 0;
    for (const count of this.problemsByKind.values()) total += count;
    return total;
  }
}
