import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle';
import { RECORDING_CASES } from '../../tools/replay/cases';
import { loadHistories, replayAll, scheduledActivityTypes, type RecordedHistory } from './history-files';

/**
 * The replay gate: every recorded history (test/replay/histories, recorded from real runs by `npm run record-histories`)
 * must replay on the current workflow code. A change that would break open runs on deploy fails here, naming the
 * history. Needs no server: the replayer runs the workflow bundle against the recorded events only.
 */
const BUNDLE_TIMEOUT_MS = 120_000;
Runtime.install({ logger: new DefaultLogger('WARN') });

const histories = loadHistories();
const expectedFiles = RECORDING_CASES.flatMap((c) =>
  c.recordContinuedRun ? [c.name, `${c.name}-continued`] : [c.name],
);

function describeFailure(name: string, error: Error): string {
  return (
    `history ${name}.json does not replay on the current workflows/ (${error.name}): ${error.message}\n` +
    'A run open during a deploy would fail the same way. Make the change compatible (patched(), or a new Worker ' +
    'Deployment version with PINNED runs: docs/deploy.md), or, for a deliberate versioned change, re-record the ' +
    'histories with npm run record-histories.'
  );
}

describe('replay of recorded histories on the current workflow code', () => {
  let results: Map<string, Error | undefined>;
  beforeAll(async () => {
    results = await replayAll(await bundleWorkflows(), histories);
  }, BUNDLE_TIMEOUT_MS);

  it('has a history for every recorded case', () => {
    expect(histories.map((h) => h.name).sort()).toEqual([...expectedFiles].sort());
  });

  it.each(histories.map((h) => h.name))('%s replays', (name) => {
    expect(results.has(name)).toBe(true);
    const error = results.get(name);
    if (error) throw new Error(describeFailure(name, error));
  });
});

/**
 * The gate must bite: the same workflow with one deliberate incompatible change (test/replay/changed-workflows/) must
 * fail replay with a nondeterminism error on every history that reaches the changed step, and only on those.
 */
describe.each([
  { change: 'publish and delete swapped', module: 'swap-publish-and-delete', reaches: 'publishEvents' },
  { change: 'delete step dropped', module: 'drop-delete', reaches: 'deleteMessages' },
  { change: 'a timer in the lane loop', module: 'timer-in-lane', reaches: 'receiveSubmissions' },
])('replay with $change', ({ module, reaches }) => {
  let results: Map<string, Error | undefined>;
  beforeAll(async () => {
    const changed: WorkflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve(`./changed-workflows/${module}`),
      workflowInterceptorModules: [require.resolve(`./changed-workflows/${module}`)],
      logger: new DefaultLogger('WARN'),
    });
    results = await replayAll(changed, histories);
  }, BUNDLE_TIMEOUT_MS);

  const affected = (h: RecordedHistory): boolean => scheduledActivityTypes(h.json).includes(reaches);

  it('is exercised by most recorded histories', () => {
    expect(histories.filter(affected).length).toBeGreaterThanOrEqual(4);
  });

  it.each(histories.filter(affected).map((h) => h.name))('%s fails with DeterminismViolationError', (name) => {
    const error = results.get(name);
    expect(error).toBeInstanceOf(DeterminismViolationError);
    expect(error?.name).toBe('DeterminismViolationError');
  });

  it.each(histories.filter((h) => !affected(h)).map((h) => h.name))(
    '%s, which never reaches the step, replays',
    (name) => {
      expect(results.has(name)).toBe(true);
      expect(results.get(name)).toBeUndefined();
    },
  );
});
