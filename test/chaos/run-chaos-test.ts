import { runScenario, type ChaosResult } from '../../tools/chaos/runner';
import { scenarioByName } from '../../tools/chaos/scenarios';
import { formatTable } from '../../tools/chaos/cli';
import { formatReport } from '../../tools/verify';

/** Submissions per scenario in CI; `npm run chaos` runs 10,000. */
export const CI_SUBMISSIONS = Number(process.env.CHAOS_CI_SUBMISSIONS ?? 300);

/**
 * One jest test per scenario: a fleet load through real workers behind the fault proxies, judged by the verifier —
 * nothing lost, nothing reordered, nothing leaked, duplicates only with the same event_id, queue drained — and proof
 * that the fault hit work in flight (`result.evidence`, recorded by the scenario; see tools/chaos/scenarios.ts).
 */
export function runChaosTest(
  name: string,
  expectations: (result: ChaosResult) => void = () => undefined,
  { drainTimeoutMs = 150_000 }: { drainTimeoutMs?: number } = {},
): void {
  const scenario = scenarioByName(name);
  if (!scenario) throw new Error(`unknown chaos scenario ${name}`);
  jest.setTimeout(drainTimeoutMs + 30_000);

  it(`${scenario.title}: 0 lost, 0 reordered, 0 leaked, duplicates only with equal event_id, queue drained`, async () => {
    const result = await runScenario(scenario, { submissions: CI_SUBMISSIONS, timeoutMs: drainTimeoutMs });
    console.log(formatTable([result]));
    if (!result.ok) console.error(formatReport(result.report));
    expect(result.report.checks.lost.count).toBe(0);
    expect(result.report.checks.order.count).toBe(0);
    expect(result.report.checks.leaked.count).toBe(0);
    expect(result.report.checks.duplicate_different_id.count).toBe(0);
    expect(result.queue).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    // The fault hit work in flight (every piece of evidence above zero) and the scenario's own verdict holds.
    expect(result.evidence.length).toBeGreaterThan(0);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.report.counts.deliveredEvents).toBe(result.expectedEvents);
    expectations(result);
  });
}
