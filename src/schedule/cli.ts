import { EXIT_OK, PROCESS_IO, runSubcommand, subcommandUsage, type CliIo } from '../cli/shell';
import { loadConfig } from '../config/environment';
import { loadEnvFiles } from '../config/env-files';
import { connectClient } from '../temporal/client';
import { SCHEDULE_COMMANDS } from './commands';
import { explainScheduleError } from './operator';

/** `npm run schedule -- <command> [flags]`: the operator's one entry point to the schedule (docs/operations.md). */
const USAGE = subcommandUsage(
  'Usage: npm run schedule -- <command> [flags]      (npm run schedule -- <command> --help for its flags)',
  SCHEDULE_COMMANDS,
  [
    'Connection and schedule id come from the environment (.env.example, .env; docs/configuration.md).',
    'Exit codes: 0 done, 1 failed, 2 usage error.',
  ],
);

/** The whole CLI as a function (tests call it in-process); exit code as the result. */
export function runScheduleCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  return runSubcommand(USAGE, SCHEDULE_COMMANDS, argv, io, async (command, args) => {
    const action = command.prepare(args);
    loadEnvFiles();
    const config = loadConfig();
    const client = await connectClient(config);
    try {
      io.out(await action(client, config));
    } catch (err) {
      throw explainScheduleError(err, config);
    } finally {
      await client.connection.close();
    }
    return EXIT_OK;
  });
}

if (require.main === module) {
  void runScheduleCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
