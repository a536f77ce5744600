import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * The one shell every command of this repository runs in, so they all behave alike (docs/operations.md, "Commands"):
 * `--help` prints the usage and does nothing else; an unknown flag or a bad value prints the problem and the usage;
 * exit codes are 0 (done), 1 (failed, or a check said no) and 2 (usage error).
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A wrong command line: the message says what is wrong; the shell adds the usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the operator can act on: the shell prints only the message (no stack trace) and exits 1. */
export class OperatorError extends Error {
  override name = 'OperatorError';
}

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export type FlagValue = string | boolean | (string | boolean)[] | undefined;

export interface ParsedCommandLine {
  values: Record<string, FlagValue>;
  positionals: string[];
}

/** Strict parsing: unknown flags, missing values and (unless allowed) positionals are usage errors. */
export function parseCommandLine(argv: string[], options: CliOptions, allowPositionals = false): ParsedCommandLine {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (!allowPositionals && parsed.positionals.length > 0) {
      throw new UsageError(`unexpected argument: ${parsed.positionals[0]}`);
    }
    const values: Record<string, FlagValue> = { ...parsed.values };
    return { values, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** Where the shell writes; tests pass their own. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const PROCESS_IO: CliIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

/**
 * Runs a command: answers --help without calling `main`, maps errors to exit codes, and returns the code (tests call
 * it directly; `runCommand` is the process entry point).
 */
export async function executeCommand(
  usage: string,
  main: (argv: string[]) => Promise<number | void>,
  argv: string[],
  io: CliIo = PROCESS_IO,
): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(usage);
    return EXIT_OK;
  }
  try {
    return (await main(argv)) ?? EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${usage}`);
      return EXIT_USAGE;
    }
    io.err(
      err instanceof OperatorError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err),
    );
    return EXIT_FAILED;
  }
}

/** Process entry point: `runCommand(USAGE, main)` at the bottom of a command file. */
export function runCommand(usage: string, main: (argv: string[]) => Promise<number | void>): void {
  void executeCommand(usage, main, process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

/** A string flag's value, or undefined when absent. */
export function stringFlag(values: Record<string, FlagValue>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A command with subcommands (`npm run schedule -- <name>`): each declares its own usage. */
export interface Subcommand {
  summary: string;
  usage: string;
}

/** The usage of a command with subcommands: one line each, then the shared notes. */
export function subcommandUsage(head: string, commands: Record<string, Subcommand>, notes: string[]): string {
  return [head, ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`), ...notes].join(
    '\n',
  );
}

/**
 * Dispatches `<name> [flags]` to one subcommand: `--help` first prints the overall usage, an unknown or missing name
 * is a usage error, and the subcommand itself runs in executeCommand under its own usage.
 */
export async function runSubcommand<C extends Subcommand>(
  usage: string,
  commands: Record<string, C>,
  argv: string[],
  io: CliIo,
  run: (command: C, args: string[]) => Promise<number | void>,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    io.out(usage);
    return EXIT_OK;
  }
  const command = name === undefined ? undefined : commands[name];
  if (command === undefined) {
    io.err(`${name === undefined ? 'no command given' : `unknown command: ${name}`}\n\n${usage}`);
    return EXIT_USAGE;
  }
  return executeCommand(command.usage, (args) => run(command, args), rest, io);
}
