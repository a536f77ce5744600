import type { SQSClient } from '@aws-sdk/client-sqs';
import type { MetricMeter } from '@temporalio/common';
import type { Config } from '../config/environment';
import { pollEvery } from '../worker/poll-every';
import { queueDepth, resolveDlqPair } from './queues';

/**
 * The DLQ's depth on the worker's Prometheus endpoint, for the "DLQ not empty" alert (deploy/prometheus/rules.yml):
 * one GetQueueAttributes per poll and worker. The oldest message's age is not a queue attribute (on AWS it is the
 * CloudWatch metric ApproximateAgeOfOldestMessage, docs/alerts.md), so it is not exported here: reading it would
 * mean receiving the dead letters. A failed poll is logged and leaves the gauge as it was.
 */
export interface DlqGaugeOptions {
  read: () => Promise<{ value: number; tags: Record<string, string> }>;
  gauge: { set(value: number, tags: Record<string, string>): void };
  pollMs: number;
  warn: (message: string) => void;
}

export function monitorDlqDepth(options: DlqGaugeOptions): () => void {
  let lastWarning: string | undefined;
  return pollEvery(options.pollMs, async (stopped) => {
    try {
      const { value, tags } = await options.read();
      if (!stopped()) options.gauge.set(value, tags);
      lastWarning = undefined;
    } catch (err) {
      // Once per distinct problem, not once per poll: a worker without a DLQ would otherwise log it every minute.
      const warning = `dead-letter queue depth not read: ${err instanceof Error ? err.message : String(err)}`;
      if (warning !== lastWarning) options.warn(warning);
      lastWarning = warning;
    }
  });
}

/**
 * Worker wiring: edr_dlq_messages{dlq="<name>"} = visible + in-flight messages of the DLQ (a listing in progress must
 * not make a full DLQ look empty). Off when metrics are off or DLQ_METRICS_POLL_SECONDS=0. Returns a stop function.
 */
export function startDlqGauge(
  config: Config,
  sqs: SQSClient,
  meter: MetricMeter,
  warn: (message: string) => void,
): () => void {
  if (config.METRICS_PORT === 0 || config.DLQ_METRICS_POLL_SECONDS === 0) return () => undefined;
  let dlqUrl: Promise<string> | undefined;
  const gauge = meter.createGauge(
    'edr_dlq_messages',
    'int',
    '1',
    'Messages in the dead-letter queue (visible + in flight)',
  );
  return monitorDlqDepth({
    read: async () => {
      // Resolved on first use and again after a failure (the queue may not exist yet when the worker starts).
      dlqUrl ??= resolveDlqPair(sqs, config.SQS_QUEUE_URL, config.SQS_DLQ_URL).then((p) => p.dlqUrl);
      try {
        const url = await dlqUrl;
        const depth = await queueDepth(sqs, url);
        return { value: depth.visible + depth.inFlight, tags: { dlq: url.split('/').pop() ?? url } };
      } catch (err) {
        dlqUrl = undefined;
        throw err;
      }
    },
    gauge,
    pollMs: config.DLQ_METRICS_POLL_SECONDS * 1000,
    warn,
  });
}
