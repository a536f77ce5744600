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
  input: DrainInputOverrides;
  bodies: string[];
  quarantine: boolean;
  /** Point publishEvents at a stream that does not exist: Kinesis answers ResourceNotFoundException (non-retryable). */
  missingStream: boolean;
  /** Also record the run the first one continued into: it starts from the carried state and does real work. */
  recordContinuedRun: boolean;
  /** The worker that receives a batch is gone before its next step: no poller on the queue it names. */
  workerLost: boolean;
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

/** The check of a case whose run must complete with a summary for which `holds` is true. */
function completedWith(expected: string, holds: (summary: RunSummary) => boolean): RecordingCase['check'] {
  return (outcome) => {
    if (outcome.kind !== 'completed') return `expected a completed run, got ${JSON.stringify(outcome)}`;
    return holds(outcome.summary) ? undefined : `expected ${expected}: ${JSON.stringify(outcome.summary)}`;
  };
}

/** The check of a case whose run must fail with this failure type. */
function failedWith(failureType: string): RecordingCase['check'] {
  return (outcome) =>
    outcome.kind === 'failed' && outcome.failureType === failureType
      ? undefined
      : `expected a ${failureType} failure, got ${JSON.stringify(outcome)}`;
}

/** What most cases share: the standard server, no quarantine queue, the stream present, one run recorded. */
const ordinary = {
  server: 'standard',
  quarantine: false,
  missingStream: false,
  recordContinuedRun: false,
  workerLost: false,
} as const satisfies Partial<RecordingCase>;

/** A submission near the default event limit (1,000 events). */
function large(n: number): string {
  const document = submission(n);
  return base64({
    ...document,
    events: {
      new_process: Array.from({ length: 500 }, (_, i) => ({ cmdl: `proc-${n}-${i}.exe`, user: 'replay' })),
      network_connection: Array.from({ length: 500 }, (_, i) => ({
        source_ip: '10.0.0.2',
        destination_ip: '23.13.252.39',
        destination_port: i,
      })),
    },
  });
}

export const RECORDING_CASES: readonly RecordingCase[] = [
  {
    ...ordinary,
    name: 'default-lanes',
    what: 'the default run input (2 lanes, batches that grow with the backlog) in drain mode',
    input: { mode: 'drain', receiveWaitSeconds: 0 },
    bodies: [...valid(400, 30), ...invalid],
    check: completedWith(
      '30 valid, 3 invalid, 33 deleted',
      (s) => s.valid === 30 && s.invalid === 3 && s.deleted === 33,
    ),
  },
  {
    ...ordinary,
    name: 'eight-lanes',
    what: '8 lanes of small batches',
    input: { mode: 'drain', lanes: 8, receiveWaitSeconds: 0, receivesPerBatch: 1, maxNumberOfMessages: 2 },
    bodies: valid(500, 40),
    check: completedWith('40 valid, 40 deleted', (s) => s.valid === 40 && s.deleted === 40),
  },
  {
    ...ordinary,
    name: 'large-submission',
    what: 'a 1,000-event submission among ordinary ones',
    input: oneLane,
    bodies: [large(700), ...valid(701, 3)],
    check: completedWith('4 valid, 1,006 events', (s) => s.valid === 4 && s.eventsPublished === 1006),
  },
  {
    ...ordinary,
    name: 'worker-lost',
    what: 'the worker holding a batch is gone: its step times out waiting to start, the batch is abandoned',
    input: { ...oneLane, maxNumberOfMessages: 10 },
    bodies: valid(800, 3),
    workerLost: true,
    check: completedWith('3 messages abandoned', (s) => s.abandonedMessages === 3 && s.deleted === 0),
  },
  {
    ...ordinary,
    name: 'continuous',
    what: 'continuous mode (the default): batches, then empty long polls until the run budget is spent',
    input: { lanes: 1, receivesPerBatch: 1, maxNumberOfMessages: 4, runBudgetSeconds: 5, idleWaitSeconds: 1 },
    bodies: valid(1, 6),
    check: completedWith(
      '6 valid, 6 deleted, the lane stopped by its budget',
      (s) => s.valid === 6 && s.deleted === 6 && s.lanes.join() === 'run-budget-spent',
    ),
  },
  {
    ...ordinary,
    name: 'happy-path',
    what: 'valid and invalid submissions over several batches, then an empty receive',
    input: oneLane,
    bodies: [...valid(1, 6), ...invalid],
    check: completedWith(
      '6 valid, 3 invalid, 9 deleted over ≥ 2 batches',
      (s) => s.valid === 6 && s.invalid === 3 && s.deleted === 9 && s.batches >= 2,
    ),
  },
  {
    ...ordinary,
    name: 'continue-as-new',
    what: `runs continued as new when the server suggests it (after ${SMALL_HISTORY_EVENTS} events)`,
    server: 'small-history',
    input: { ...oneLane, maxNumberOfMessages: 2 },
    bodies: valid(100, 12),
    recordContinuedRun: true,
    check: completedWith('≥ 1 continue-as-new and 12 valid', (s) => s.continuedAsNew >= 1 && s.valid === 12),
  },
  {
    ...ordinary,
    name: 'failed-stage',
    what: 'publish fails non-retryably (no such stream): the run fails RunIncomplete',
    input: oneLane,
    bodies: [...valid(200, 2), invalid[0] ?? ''],
    missingStream: true,
    check: failedWith('RunIncomplete'),
  },
  {
    ...ordinary,
    name: 'invalid-input',
    what: 'a run input that fails the schema: the run fails InvalidDrainInput before any activity',
    input: { lanes: 0 },
    bodies: [],
    check: failedWith('InvalidDrainInput'),
  },
  {
    ...ordinary,
    name: 'quarantine',
    what: 'invalid submissions copied to the quarantine queue before they are deleted',
    input: oneLane,
    bodies: [...valid(300, 1), ...invalid],
    quarantine: true,
    check: completedWith('3 quarantined', (s) => s.quarantined === 3),
  },
];
