import { SQSClient } from '@aws-sdk/client-sqs';
import { runDlqCli } from '../../../src/dlq/cli';

/** Every dlq command answers --help with its usage and does nothing; a wrong command line exits 2 with the usage. */
function untouchableSqs(): { sqs: SQSClient; calls: string[] } {
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const calls: string[] = [];
  sqs.middlewareStack.add(
    (_next, context) => () => {
      calls.push(String(context.commandName));
      throw new Error(`unexpected SQS call ${String(context.commandName)}`);
    },
    { step: 'initialize', name: 'noCalls' },
  );
  return { sqs, calls };
}

function run(argv: string[]) {
  const { sqs, calls } = untouchableSqs();
  let out = '';
  let err = '';
  const io = { out: (t: string) => (out += t), err: (t: string) => (err += t) };
  const env = { SQS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/q', KINESIS_STREAM_NAME: 's' };
  return runDlqCli(argv, io, { env, sqs }).then((code) => ({ code, out, err, calls }));
}

describe('npm run dlq command line', () => {
  it.each([['--help'], ['list', '--help'], ['redrive', '--help'], ['redrive', '--max', '5', '--help']])(
    '%s prints the usage and calls nothing',
    async (...argv) => {
      const r = await run(argv);
      expect(r).toMatchObject({ code: 0, err: '', calls: [] });
      expect(r.out).toMatch(/^Usage: npm run dlq -- /);
    },
  );

  it.each([
    [['list', '--bogus'], /Unknown option '--bogus'/],
    [['redrive', '--max', '0'], /--max must be an integer 1–1000000/],
    [['redrive', '--max', 'ten'], /--max must be an integer/],
    [['redrive', '--method', 'teleport'], /--method must be one of auto, move-task, copy/],
    [['redrive', '--method', 'move-task', '--max', '3'], /--max cannot bound a message-move task/],
    [['list', '--preview-bytes', '5000'], /--preview-bytes must be an integer 0–1024/],
    [['list', '--dlq-url', 'not a url'], /--dlq-url must be a URL/],
    [['list', 'extra'], /unexpected argument: extra/],
    [['purge'], /unknown command: purge/],
    [[], /no command given/],
  ])('%j exits 2 with the problem and the usage, calling nothing', async (argv, problem) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(problem);
    expect(r.err).toContain('Usage: npm run dlq -- ');
    expect(r.calls).toEqual([]);
  });

  it('reports an unreachable queue as a failure (exit 1), not a usage error', async () => {
    const r = await run(['list']);
    expect(r.code).toBe(1);
    expect(r.calls).toEqual(['GetQueueAttributesCommand']);
  });
});
