import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { OperatorError, parseCommandLine, stringFlag, UsageError, type FlagValue } from '../cli/shell';
import type { Config } from '../config/environment';
import { formatDurationMs } from '../config/duration';
import { copyRedrive, type CopyRedriveResult } from './copy-redrive';
import { runMoveTask } from './move-task';
import { DEFAULT_PREVIEW_BYTES, formatPreview, MAX_PREVIEW_BYTES, oldestAgeMs, previewMessage } from './preview';
import { queueDepth, resolveDlqPair, type DlqPair } from './queues';
import { peekDeadLetters } from './receive';

/** What a command needs once its flags are good: the SQS client, the configuration, where to print, the clock. */
export interface DlqContext {
  sqs: SQSClient;
  config: Config;
  out: (text: string) => void;
  now: () => number;
}

export interface DlqCommand {
  summary: string;
  usage: string;
  /** Checks the flags strictly before anything connects; returns the action (its exit code as the result). */
  prepare(argv: string[]): (ctx: DlqContext) => Promise<number>;
}

const QUEUE_FLAGS = {
  'dlq-url': { type: 'string' },
  'queue-url': { type: 'string' },
} as const;

const QUEUE_FLAGS_HELP =
  '  --queue-url URL      source queue (default SQS_QUEUE_URL)\n' +
  "  --dlq-url URL        dead-letter queue (default SQS_DLQ_URL, else the source queue's redrive policy)";

function intFlag(values: Record<string, FlagValue>, name: string, min: number, max: number): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
  if (!parsed.success) throw new UsageError(`--${name} must be an integer ${min}–${max} (got ${JSON.stringify(raw)})`);
  return parsed.data;
}

function urlFlag(values: Record<string, FlagValue>, name: string): string | undefined {
  const raw = stringFlag(values, name);
  if (raw !== undefined && !z.url().safeParse(raw).success) throw new UsageError(`--${name} must be a URL`);
  return raw;
}

function pairFor(ctx: DlqContext, values: Record<string, FlagValue>): Promise<DlqPair> {
  const source = urlFlag(values, 'queue-url') ?? ctx.config.SQS_QUEUE_URL;
  return resolveDlqPair(ctx.sqs, source, urlFlag(values, 'dlq-url') ?? ctx.config.SQS_DLQ_URL);
}

const list: DlqCommand = {
  summary: 'depth, oldest message age and a bounded, escaped preview of the dead letters',
  usage: [
    'Usage: npm run dlq -- list [--limit N] [--preview-bytes N] [--queue-url URL] [--dlq-url URL]',
    '  --limit N            list at most N messages (1–100, default 10)',
    `  --preview-bytes N    show the first N bytes of each body, escaped (0–${MAX_PREVIEW_BYTES}, default ` +
      `${DEFAULT_PREVIEW_BYTES}; 0 hides bodies: they are telemetry)`,
    QUEUE_FLAGS_HELP,
    '  Listing receives the messages and makes them visible again at once; each receive count grows by one.',
  ].join('\n'),
  prepare: (argv) => {
    const { values } = parseCommandLine(argv, {
      ...QUEUE_FLAGS,
      limit: { type: 'string' },
      'preview-bytes': { type: 'string' },
    });
    const limit = intFlag(values, 'limit', 1, 100) ?? 10;
    const previewBytes = intFlag(values, 'preview-bytes', 0, MAX_PREVIEW_BYTES) ?? DEFAULT_PREVIEW_BYTES;
    urlFlag(values, 'queue-url');
    urlFlag(values, 'dlq-url');
    return async (ctx) => {
      const pair = await pairFor(ctx, values);
      const depth = await queueDepth(ctx.sqs, pair.dlqUrl);
      const { messages, releaseFailures } = await peekDeadLetters(ctx.sqs, pair.dlqUrl, limit);
      const now = ctx.now();
      const previews = messages.map((m) => previewMessage(m, previewBytes));
      const oldest = oldestAgeMs(previews, now);
      ctx.out(
        [
          `dead-letter queue ${pair.dlqUrl} (source ${pair.sourceUrl})`,
          `  depth:   ${depth.visible} visible, ${depth.inFlight} in flight`,
          `  oldest:  ${oldest === undefined ? '(none listed)' : `${formatDurationMs(oldest)} since first sent, among the listed messages`}`,
          `  listed:  ${previews.length} (at most ${limit})` +
            (previewBytes > 0 ? `, first ${previewBytes} bytes of each body, escaped` : ', bodies hidden'),
          ...previews.map((p) => formatPreview(p, now, previewBytes > 0)),
          ...(releaseFailures > 0
            ? [`  WARNING: ${releaseFailures} listed messages stay hidden until their 30 s visibility timeout ends`]
            : []),
        ].join('\n'),
      );
      return 0;
    };
  },
};

const METHODS = ['auto', 'move-task', 'copy'] as const;
type Method = (typeof METHODS)[number];

const redrive: DlqCommand = {
  summary: 'move dead letters back to the source queue, keeping their message ids (receive → send → delete)',
  usage: [
    'Usage: npm run dlq -- redrive [--max N] [--method auto|move-task|copy] [--dry-run] [--queue-url URL] [--dlq-url URL]',
    '  --max N              move at most N messages (1–1000000; default: the DLQ depth at start)',
    '  --method M           copy (default): receive → send → delete, each copy carrying its original message id in',
    '                       the OriginalMessageId attribute, so its events keep their event ids (G3); move-task:',
    "                       SQS's message-move task (moves the whole DLQ; whether it keeps message ids is not",
    '                       documented by AWS: event ids may change); auto: the task, or copy where the endpoint',
    '                       lacks it or --max is given',
    '  --dry-run            print what would be moved, where and how; receive, send and delete nothing',
    '  --wait SECONDS       how long to wait for a message-move task to finish (1–86400, default 600)',
    '  --visibility-timeout SECONDS  copy: how long a message stays hidden in the DLQ while it moves (10–43200, default 60)',
    QUEUE_FLAGS_HELP,
    '  Copy moves a message only after SQS confirmed its send, then deletes it from the DLQ; a failed entry stays in',
    '  the DLQ and the command exits 1. Running it again moves what is left.',
  ].join('\n'),
  prepare: (argv) => {
    const { values } = parseCommandLine(argv, {
      ...QUEUE_FLAGS,
      max: { type: 'string' },
      method: { type: 'string' },
      wait: { type: 'string' },
      'visibility-timeout': { type: 'string' },
      'dry-run': { type: 'boolean' },
    });
    const max = intFlag(values, 'max', 1, 1_000_000);
    const waitSeconds = intFlag(values, 'wait', 1, 86_400) ?? 600;
    const visibility = intFlag(values, 'visibility-timeout', 10, 43_200) ?? 60;
    // Copy by default: it is the method that provably keeps each message's identity (OriginalMessageId).
    const methodRaw = stringFlag(values, 'method') ?? 'copy';
    const method = METHODS.find((m) => m === methodRaw);
    if (method === undefined) throw new UsageError(`--method must be one of ${METHODS.join(', ')}`);
    if (method === 'move-task' && max !== undefined) {
      throw new UsageError('--max cannot bound a message-move task (it moves the whole DLQ); use --method copy');
    }
    urlFlag(values, 'queue-url');
    urlFlag(values, 'dlq-url');
    const dryRun = values['dry-run'] === true;
    return async (ctx) => {
      const pair = await pairFor(ctx, values);
      const depth = await queueDepth(ctx.sqs, pair.dlqUrl);
      const bound = max ?? depth.visible;
      const plan = planMethod(method, max);
      ctx.out(
        `redrive ${pair.dlqUrl} → ${pair.sourceUrl}: ${depth.visible} visible in the DLQ, ` +
          `${plan === 'copy' ? `at most ${bound}, by copy (receive → send → delete)` : `all, by ${describe(plan)}`}`,
      );
      if (dryRun) {
        ctx.out('dry run: nothing received, sent or deleted');
        return 0;
      }
      if (plan !== 'copy') {
        const outcome = await runMoveTask(ctx.sqs, pair, waitSeconds * 1000);
        if (outcome.kind === 'completed') {
          ctx.out(`message-move task ${outcome.handle} completed: ${outcome.moved} messages moved`);
          return 0;
        }
        if (outcome.kind === 'failed') {
          throw new OperatorError(
            `message-move task ${outcome.handle} ${outcome.status}: ${outcome.reason} (${outcome.moved} moved so far)`,
          );
        }
        if (plan === 'move-task') throw new OperatorError(`this endpoint has no message-move task: ${outcome.reason}`);
        ctx.out(`message-move task not available here (${outcome.reason}); copying instead`);
      }
      if (bound === 0) {
        ctx.out('nothing to redrive');
        return 0;
      }
      const result = await copyRedrive({
        sqs: ctx.sqs,
        dlqUrl: pair.dlqUrl,
        targetUrl: pair.sourceUrl,
        max: bound,
        visibilityTimeoutSeconds: visibility,
      });
      return reportCopy(ctx, result);
    };
  },
};

function planMethod(method: Method, max: number | undefined): 'copy' | 'move-task' | 'auto' {
  if (method === 'copy' || (method === 'auto' && max !== undefined)) return 'copy';
  return method;
}

function describe(plan: 'move-task' | 'auto'): string {
  return plan === 'move-task'
    ? "SQS's message-move task"
    : "SQS's message-move task (copy where the endpoint lacks it)";
}

function reportCopy(ctx: DlqContext, result: CopyRedriveResult): number {
  ctx.out(`moved ${result.moved} messages`);
  for (const f of result.sendFailed) ctx.out(`  NOT SENT (still in the DLQ): ${f.id}  ${f.code}: ${f.message}`);
  for (const f of result.sentNotDeleted) {
    ctx.out(`  SENT BUT NOT DELETED (in both queues; a new redrive sends it again): ${f.id}  ${f.code}: ${f.message}`);
  }
  return result.sendFailed.length + result.sentNotDeleted.length > 0 ? 1 : 0;
}

export const DLQ_COMMANDS: Record<string, DlqCommand> = { list, redrive };
