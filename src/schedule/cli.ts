import { executeCommand, EXIT_OK, EXIT_USAGE, PROCESS_IO, type CliIo } from '../cli-shell';
import { loadConfig } from '../config';
import { loadEnvFiles } from '../env-files';
import { connectClient } from '../temporal-client';
import { SCHEDULE_COMMANDS } from './commands';
import { explainScheduleError } from './operator';

/** `npm run schedule -- <command> [flags]`: the operator's one entry point to the schedule (docs/operations.md). */
const USAGE = [
  'Usage: npm run schedule -- <command> [flags]      (npm run schedule -- <command> --help for its flags)',
  ...Object.entries(SCHEDULE_COMMANDS).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`),
  'Connection and schedule id come from the environment (.env.example, .env; docs/configuration.md).',
  'Exit codes: 0 done, 1 failed, 2 usage error.',
].join('\n');

/** The whole CLI as a function (tests call it in-process); exit code as the result. */
export async function runScheduleCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    io.out(USAGE);
    return EXIT_OK;
  }
  const command = name === undefined ? undefined : SCHEDULE_COMMANDS[name];
  if (command === undefined) {
    io.err(`${name === undefined ? 'no command given' : `unknown command: ${name}`}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  return executeCommand(
    command.usage,
    async (args) => {
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
    },
    rest,
    io,
  );
}

if (require.main === module) {
  void runScheduleCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
