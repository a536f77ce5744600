import { loadConfig } from '../config/environment';
import { executeCommand, OperatorError, parseCommandLine, PROCESS_IO, type CliIo } from '../cli/shell';
import { loadEnvFiles } from '../config/env-files';

const USAGE = `node dist/src/worker/readiness-probe.js [--help]   (in the image; from the sources: npx tsx src/worker/readiness-probe.ts)
Readiness of a worker (docs/deploy.md, "Kubernetes"): exits 0 once the worker on this host polls its task queue for
both workflow and activity tasks, 1 otherwise (not started, still in its start-up checks, or stopped).
Reads the worker's own metrics endpoint (METRICS_HOST:METRICS_PORT, the SDK's temporal_num_pollers gauge for
TEMPORAL_TASK_QUEUE in TEMPORAL_NAMESPACE); the same environment as the worker. Takes no flags.
Exit codes: 0 ready, 1 not ready, 2 usage error.`;

const POLLER_TYPES = ['workflow_task', 'activity_task'] as const;

/**
 * Pollers per type for one task queue and namespace, from Prometheus text. The SDK starts its pollers only once the
 * worker runs, after every start-up check (src/worker.ts), so "> 0 of each" means "polling", not merely "started".
 */
export function pollerCounts(metrics: string, taskQueue: string, namespace: string): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(POLLER_TYPES.map((t) => [t, 0]));
  for (const line of metrics.split('\n')) {
    const match = /^temporal_num_pollers\{([^}]*)\}\s+(\S+)$/.exec(line.trim());
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const type = labels.poller_type ?? '';
    if (labels.task_queue !== taskQueue || labels.namespace !== namespace || !(type in counts)) continue;
    counts[type] = Number(match[2]);
  }
  return counts;
}

export function isPolling(counts: Record<string, number>): boolean {
  return POLLER_TYPES.every((t) => (counts[t] ?? 0) > 0);
}

async function run(argv: string[]): Promise<number> {
  parseCommandLine(argv, { help: { type: 'boolean', short: 'h' } });
  loadEnvFiles();
  const config = loadConfig();
  if (config.METRICS_PORT === 0) throw new OperatorError('METRICS_PORT=0: the worker has no metrics endpoint to probe');
  // A worker listening on every interface (METRICS_HOST=0.0.0.0 in a pod) is reached on loopback.
  const host = ['0.0.0.0', '::', '[::]'].includes(config.METRICS_HOST) ? '127.0.0.1' : config.METRICS_HOST;
  const url = `http://${host}:${config.METRICS_PORT}/metrics`;
  let text: string;
  try {
    // Shorter than any probe timeout a deployment would set: a hung endpoint answers "not ready", not a probe error.
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    text = await response.text();
  } catch (err) {
    throw new OperatorError(`not ready: ${url} does not answer (${err instanceof Error ? err.message : String(err)})`);
  }
  const counts = pollerCounts(text, config.TEMPORAL_TASK_QUEUE, config.TEMPORAL_NAMESPACE);
  const summary = POLLER_TYPES.map((t) => `${t} ${counts[t] ?? 0}`).join(', ');
  if (!isPolling(counts)) throw new OperatorError(`not ready: pollers on "${config.TEMPORAL_TASK_QUEUE}": ${summary}`);
  console.log(`ready: pollers on "${config.TEMPORAL_TASK_QUEUE}": ${summary}`);
  return 0;
}

export function runReadinessProbe(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  return executeCommand(USAGE, run, argv, io);
}

if (require.main === module) {
  void runReadinessProbe(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
