import type { DrainInputOverrides } from '../../workflows/drain-input';
import type { RunSummary } from '../../workflows/run-summary';

/**
 * The runs whose histories the replay tier replays: one per path through drainQueue that a workflow change could break.
 * Inputs and message bodies are fixed (no random ids), and each run has one lane, so re-recording the same code gives
 * the same sequence of events (only timestamps, run ids and SQS message ids differ).
 */
export interface RecordingCase {
  /** File name (without .json) under test/replay/histories. */
  name: string;
  what: string;
  /** The continue-as-new case runs on a server that suggests continue-as-new after a few events. */
  server: 'standard' | 'small-history';
  input: unknown;
  bodies: string[];
  quarantine: boolean;
  /** Point publishEvents at a stream that does not exist: Kinesis answers ResourceNotFoundException (non-retryable). */
  missingStream: boolean;
  /** Also record the run the first one continued into: it starts from the carried state and does real work. */
  recordContinuedRun: boolean;
  /** Why the outcome does not show this case, or undefined when it does. */
  check(outcome: RunOutcome): string | undefined;
}

export type RunOutcome = { kind: 'completed'; summary: RunSummary } | { kind: 'failed'; failureType: string };

/** The suggestContinueAsNew limit of the small-history server: a couple of batches per run. */
export const SMALL_HISTORY_EVENTS = 40;

/** One lane, short polls, small batches: several batches per run, finishing in seconds. */
const oneLane: DrainInputOverrides = {
  mode: 'drain',
  lanes: 1,
  receiveWaitSeconds: 0,
  receivesPerBatch: 1,
  maxNumberOfMessages: 4,
};

function uuid(n: number): string {
  return `5e1f0c2a-7b3d-4e8f-9a01-${n.toString(16).padStart(12, '0')}`;
}

function submission(n: number) {
  return {
    submission_id: uuid(n),
    device_id: uuid(1000 + (n % 3)),
    time_created: '2026-01-15T10:00:00.000000',
    events: {
      new_process: [{ cmdl: `sensor-${n}.exe --scan`, user: 'replay' }],
      network_connection: [{ source_ip: '10.0.0.2', destination_ip: '23.13.252.39', destination_port: 443 }],
    },
  };
}

const base64 = (document: unknown): string => Buffer.from(JSON.stringify(document), 'utf8').toString('base64');
const valid = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => base64(submission(from + i)));
const invalid: string[] = [
  'this is not json {',
  base64({ ...submission(900), submission_id: 'not-an-uuid' }),
  base64({
    ...submission(901),
    events: { network_connection: [{ source_ip: '10.0.0.1', destination_ip: 'not-an-ip', destination_port: 1 }] },
  }),
];

const completed = (outcome: RunOutcome): RunSummary | undefined =>
  outcome.kind === 'completed' ? outcome.summary : undefined;

export const RECORDING_CASES: readonly RecordingCase[] = [
  {
    name: 'continuous',
    what: 'continuous mode (the default): batches, then empty long polls until the run budget is spent',
    server: 'standard',
    input: { lanes: 1, receivesPerBatch: 1, maxNumberOfMessages: 4, runBudgetSeconds: 5, idleWaitSeconds: 1 },
    bodies: valid(1, 6),
    quarantine: false,
    missingStream: false,
    recordContinuedRun: false,
    check: (outcome) => {
      const summary = completed(outcome);
      if (!summary) return `expected a completed run, got ${JSON.stringify(outcome)}`;
      return summary.valid === 6 && summary.deleted === 6 && summary.lanes.join() === 'run-budget-spent'
        ? undefined
        : `expected 6 valid, 6 deleted, the lane stopped by its budget: ${JSON.stringify(summary)}`;
    },
  },
  {
    name: 'happy-path',
    what: 'valid and invalid submissions over several batches, then an empty receive',
    server: 'standard',
    input: oneLane,
    bodies: [...valid(1, 6), ...invalid],
    quarantine: false,
    missingStream: false,
    recordContinuedRun: false,
    check: (outcome) => {
      const summary = completed(outcome);
      if (!summary) return `expected a completed run, got ${JSON.stringify(outcome)}`;
      return summary.valid === 6 && summary.invalid === 3 && summary.deleted === 9 && summary.batches >= 2
        ? undefined
        : `expected 6 valid, 3 invalid, 9 deleted over ≥ 2 batches: ${JSON.stringify(summary)}`;
    },
  },
  {
    name: 'continue-as-new',
    what: `runs continued as new when the server suggests it (after ${SMALL_HISTORY_EVENTS} events)`,
    server: 'small-history',
    input: { ...oneLane, maxNumberOfMessages: 2 },
    bodies: valid(100, 12),
    quarantine: false,
    missingStream: false,
    recordContinuedRun: true,
    check: (outcome) => {
      const summary = completed(outcome);
      if (!summary) return `expected a completed chain, got ${JSON.stringify(outcome)}`;
      return summary.continuedAsNew >= 1 && summary.valid === 12
        ? undefined
        : `expected ≥ 1 continue-as-new and 12 valid: ${JSON.stringify(summary)}`;
    },
  },
  {
    name: 'failed-stage',
    what: 'publish fails non-retryably (no such stream): the run fails RunIncomplete',
    server: 'standard',
    input: oneLane,
    bodies: [...valid(200, 2), invalid[0] ?? ''],
    quarantine: false,
    missingStream: true,
    recordContinuedRun: false,
    check: (outcome) =>
      outcome.kind === 'failed' && outcome.failureType === 'RunIncomplete'
        ? undefined
        : `expected a RunIncomplete failure, got ${JSON.stringify(outcome)}`,
  },
  {
    name: 'invalid-input',
    what: 'a run input that fails the schema: the run fails InvalidDrainInput before any activity',
    server: 'standard',
    input: { lanes: 0, notAnOption: true },
    bodies: [],
    quarantine: false,
    missingStream: false,
    recordContinuedRun: false,
    check: (outcome) =>
      outcome.kind === 'failed' && outcome.failureType === 'InvalidDrainInput'
        ? undefined
        : `expected an InvalidDrainInput failure, got ${JSON.stringify(outcome)}`,
  },
  {
    name: 'quarantine',
    what: 'invalid submissions copied to the quarantine queue before they are deleted',
    server: 'standard',
    input: oneLane,
    bodies: [...valid(300, 1), ...invalid],
    quarantine: true,
    missingStream: false,
    recordContinuedRun: false,
    check: (outcome) => {
      const summary = completed(outcome);
      if (!summary) return `expected a completed run, got ${JSON.stringify(outcome)}`;
      return summary.quarantined === 3 ? undefined : `expected 3 quarantined: ${JSON.stringify(summary)}`;
    },
  },
];
