import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { configSchema } from '../../src/config/environment';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import type { RunSummary } from '../../workflows/run-summary';
import { scheduleOptions } from '../../src/schedule/definition';
import type { drainQueue } from '../../workflows';
import { createPipelineFixture, sendFleetLoad, type PipelineFixture } from '../helpers/pipeline-fixture';
import { createTestPipeline, uniqueName } from '../helpers/temporal';

/**
 * What an operator sees in the Temporal Web UI, checked with a real browser: headless Chromium (Debian's `chromium`,
 * installed by scripts/install-browser.sh; nothing is downloaded at test time) driven by playwright-core. The test
 * makes its own schedule and a completed run (real worker, emulators, a small mixed fleet load), then finds both in
 * the UI and saves screenshots under test-output/ui/.
 */
jest.setTimeout(180_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const UI_URL = process.env.TEMPORAL_UI_URL ?? `http://127.0.0.1:${process.env.TEMPORAL_UI_PORT ?? '8233'}`;
const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';
const SCREENSHOTS = resolve(__dirname, '../../test-output/ui');

describe('Temporal Web UI', () => {
  let fixture: PipelineFixture | undefined;
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;
  const scheduleId = uniqueName('webui-schedule');
  const taskQueue = uniqueName('webui-tq');

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await fixture?.env.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await fixture?.teardown();
  });

  it('shows the schedule and a completed run with its activities', async () => {
    // Fails first, with one message, when the browser is missing: this test must fail in CI, never skip.
    const chromium = await loadChromium();

    fixture = await createPipelineFixture('webui');
    const { env, sqs, kinesis, queueUrl, streamName } = fixture;
    const load = await sendFleetLoad(fixture, 20);
    const config = configSchema.parse({
      SQS_QUEUE_URL: queueUrl,
      KINESIS_STREAM_NAME: streamName,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SCHEDULE_ID: scheduleId,
      RUN_MODE: 'drain', // the run ends when the queue is empty
      SCHEDULE_INTERVAL: '999h', // only our trigger starts a run
    });
    const worker = await createTestPipeline(env, taskQueue, {
      sqs,
      kinesis,
      queueUrl,
      streamName,
      limits: DEFAULT_VALIDATION_LIMITS,
    });
    const { workflowId, runId, summary } = await worker.runUntil(async () => {
      const schedule = await env.client.schedule.create(scheduleOptions(config));
      await schedule.trigger();
      const workflowId = await firstRunOf(() => schedule.describe());
      const handle = env.client.workflow.getHandle<typeof drainQueue>(workflowId);
      const summary: RunSummary = await handle.result();
      const { runId } = await handle.describe();
      return { workflowId, runId, summary };
    });
    expect(summary).toMatchObject({ received: 20, valid: load.validCount, eventsPublished: load.expectedEvents });
    expect(summary.invalid).toBeGreaterThan(0);

    mkdirSync(SCREENSHOTS, { recursive: true });
    userDataDir = mkdtempSync(join(tmpdir(), 'webui-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);

    // 1. The schedules page lists our schedule with its workflow type.
    // The list comes from the visibility store, which may lag a fresh schedule by a moment; the page does not refresh.
    const row = page.getByRole('row').filter({ hasText: scheduleId });
    for (let attempt = 1; ; attempt++) {
      await page.goto(`${UI_URL}/namespaces/${NAMESPACE}/schedules`);
      const listed = await row.waitFor({ timeout: 5_000 }).then(
        () => true,
        () => false,
      );
      if (listed) break;
      if (attempt === 6) throw new Error(`schedule ${scheduleId} not listed on the schedules page after 30 s`);
    }
    await expectText(row, 'drainQueue');
    await page.screenshot({ path: join(SCREENSHOTS, '1-schedules.png'), fullPage: true });

    // 2. The schedule's own page: its policy, its note and the completed run it started.
    await row.getByRole('link', { name: scheduleId }).click();
    await page.waitForURL(/\/schedules\/[^/]+$/);
    await page.getByText(workflowId).first().waitFor();
    await expectText(page.locator('body'), 'BufferOne');
    await expectText(page.locator('body'), 'Created by npm run schedule:apply');
    await page.screenshot({ path: join(SCREENSHOTS, '2-schedule.png'), fullPage: true });

    // 3. The completed run: its input and result, and (compact event history, oldest first) every activity of the
    //    pipeline with the summary that says what it did.
    await page.setViewportSize({ width: 1600, height: 2000 });
    await page.goto(`${UI_URL}/namespaces/${NAMESPACE}/workflows/${workflowId}/${runId}/history`);
    await page.getByText('Completed').first().waitFor();
    await page.getByRole('button', { name: 'Compact' }).click();
    await page.getByRole('button', { name: 'Descending' }).click();
    await page.getByRole('button', { name: 'Ascending' }).waitFor();
    const activityRow = (type: string, summary: string) =>
      page.getByRole('row').filter({ hasText: type }).filter({ hasText: summary }).first().waitFor();
    // Each step of the design card is an activity of its own, with its purpose.
    await activityRow('receiveSubmissions', 'receive up to 500 messages');
    await activityRow('validateSubmissions', 'validate ');
    await activityRow('publishEvents', ' events of ');
    await activityRow('deleteMessages', ' published messages');
    await activityRow('dropInvalidSubmissions', ' invalid messages of ');
    await page.screenshot({ path: join(SCREENSHOTS, '3-run.png') });

    // 4. G8: the run's result is decoded by the codec server that `npm run stack` starts (--ui-codec-endpoint) ...
    const runPage = `${UI_URL}/namespaces/${NAMESPACE}/workflows/${workflowId}/${runId}/history`;
    const body = page.locator('body');
    await page.goto(runPage);
    await waitForText(page, '"maxNumberOfMessages": 10'); // the input
    await waitForText(page, `"received": ${summary.received}`); // the result
    await page.screenshot({ path: join(SCREENSHOTS, '4-run-decoded.png'), fullPage: true });

    // 5. ... and without a codec server (every request to it refused) the UI shows only encrypted payloads.
    await context.route(`${CODEC_ENDPOINT}/**`, (route) => route.abort());
    await page.goto(runPage);
    await page.getByText('Completed').first().waitFor();
    await waitForText(page, ENCRYPTED_ENCODING_SHOWN);
    const shown = await body.innerText();
    expect(shown).not.toContain('maxNumberOfMessages');
    expect(shown).not.toContain('"received"');
    await page.screenshot({ path: join(SCREENSHOTS, '5-run-encoded.png'), fullPage: true });
  });
});

const CODEC_ENDPOINT = `http://127.0.0.1:${process.env.CODEC_SERVER_PORT ?? '8888'}`;
// The UI shows an undecoded payload's metadata as stored: "binary/encrypted" in base64.
const ENCRYPTED_ENCODING_SHOWN = Buffer.from('binary/encrypted').toString('base64').replace(/=+$/, '');

/** playwright-core and the Debian browser, or one error that says how to get them. */
async function loadChromium(): Promise<typeof import('playwright-core').chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with "bash scripts/install-browser.sh" (Debian package ` +
        'chromium; .ci/run does this before the tests), or set CHROMIUM_PATH.',
    );
  }
  try {
    return (await import('playwright-core')).chromium;
  } catch (err) {
    throw new Error(`playwright-core is not installed (a devDependency): run npm ci. (${String(err)})`);
  }
}

/** The page's rendered text (code blocks are split into many elements, so no single element holds it) contains text. */
async function waitForText(page: Page, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.locator('body').innerText()).includes(text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" not shown on ${page.url()} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.getByText(text).first().waitFor();
}

interface ScheduleRuns {
  info: { recentActions: { action: { workflow?: { workflowId: string } } }[] };
}

/** The workflow id of the schedule's first started run (a trigger is asynchronous). */
async function firstRunOf(describe: () => Promise<ScheduleRuns>): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { info } = await describe();
    const started = info.recentActions[0]?.action.workflow?.workflowId;
    if (started) return started;
    await sleep(200);
  }
  throw new Error('the schedule did not start a run');
}
