import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../aws/clients';
import { PROCESS_IO, runSubcommand, subcommandUsage, type CliIo } from '../cli/shell';
import { loadConfig } from '../config/environment';
import { loadEnvFiles } from '../config/env-files';
import { DLQ_COMMANDS } from './commands';

/** `npm run dlq -- <command> [flags]`: the operator's dead-letter queue tools (docs/operations.md, "Dead letters"). */
const USAGE = subcommandUsage(
  'Usage: npm run dlq -- <command> [flags]      (npm run dlq -- <command> --help for its flags)',
  DLQ_COMMANDS,
  [
    'Queues come from the environment (SQS_QUEUE_URL, SQS_DLQ_URL; .env.example, .env) or --queue-url / --dlq-url.',
    'Exit codes: 0 done, 1 failed, 2 usage error.',
  ],
);

export interface DlqCliDeps {
  env?: NodeJS.ProcessEnv;
  /** Tests pass a client of their own (e.g. one whose sends fail on purpose). */
  sqs?: SQSClient;
  now?: () => number;
}

/** The whole CLI as a function (tests call it in-process); exit code as the result. */
export async function runDlqCli(argv: string[], io: CliIo = PROCESS_IO, deps: DlqCliDeps = {}): Promise<number> {
  return runSubcommand(USAGE, DLQ_COMMANDS, argv, io, async (command, args) => {
    const action = command.prepare(args);
    if (deps.env === undefined) loadEnvFiles();
    const config = loadConfig(deps.env ?? process.env);
    const sqs = deps.sqs ?? createSqsClient(config);
    try {
      return await action({ sqs, config, out: io.out, now: deps.now ?? Date.now });
    } finally {
      if (deps.sqs === undefined) sqs.destroy();
    }
  });
}

if (require.main === module) {
  void runDlqCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
