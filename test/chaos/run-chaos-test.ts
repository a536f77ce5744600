import { runScenario, type ChaosResult } from '../../src/chaos/runner';
import { scenarioByName } from '../../src/chaos/scenarios';
import { formatTable } from '../../src/chaos/cli';
import { formatReport } from '../../src/verify';

/** Submissions per scenario in CI; `npm run chaos` runs 10,000. */
export const CI_SUBMISSIONS = Number(process.env.CHAOS_CI_SUBMISSIONS ?? 300);

/**
 * One jest test per scenario: a fleet load through real workers behind the fault proxies, judged by the verifier —
 * nothing lost, nothing reordered, nothing leaked, duplicates only with the same event_id, queue drained.
 */
export function runChaosTest(name: string, expectations: (result: ChaosResult) => void = () => undefined): void {
  const scenario = scenarioByName(name);
  if (!scenario) throw new Error(`unknown chaos scenario ${name}`);
  jest.setTimeout(180_000);

  it(`${scenario.title}: 0 lost, 0 reordered, 0 leaked, duplicates only with equal event_id, queue drained`, async () => {
    const result = await runScenario(scenario, { submissions: CI_SUBMISSIONS, timeoutMs: 150_000 });
    console.log(formatTable([result]));
    if (!result.ok) console.error(formatReport(result.report));
    expect(result.report.checks.lost.count).toBe(0);
    expect(result.report.checks.order.count).toBe(0);
    expect(result.report.checks.leaked.count).toBe(0);
    expect(result.report.checks.duplicate_different_id.count).toBe(0);
    expect(result.queue).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    expect(result.ok).toBe(true);
    expect(result.report.counts.deliveredEvents).toBe(result.expectedEvents);
    expectations(result);
  });
}
