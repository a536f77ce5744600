import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import type { Config } from '../config/environment';
import { drainInputSchema } from '../../workflows/drain-input';
import type { PreflightProblem } from '../worker/preflight';
import { RUN_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

/**
 * Start-up check of the worker (G7 liveness): the search attributes every run sets at its end exist on the namespace
 * with the right types. A missing or mistyped one fails that run's last workflow task with BadSearchAttributes, which
 * workflow code cannot catch: the run drains the queue, then never closes, and with the schedule's overlap policy no
 * later run starts until the run's execution timeout. Prevention is what works, so the worker refuses to start while
 * the runs would set them, and says the two ways out. Runs that do not set them (run input `searchAttributes: false`)
 * need none: then a lack is only reported.
 */
export type SearchAttributesConfig = Pick<Config, 'TEMPORAL_NAMESPACE' | 'SCHEDULE_ID' | 'SEARCH_ATTRIBUTES'>;

// temporal.api.enums.v1.IndexedValueType: protobuf enum numbers, stable on the wire.
const INDEXED_VALUE_TYPE: Readonly<Record<SearchAttributeType, number>> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

// The `temporal` CLI's spelling of each type, for the command the message suggests.
export const CLI_TYPE: Readonly<Record<SearchAttributeType, string>> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** What is wrong with the namespace's registered attributes, one phrase each; empty when all is right. */
export function searchAttributeFindings(registered: Readonly<Record<string, number>>): string[] {
  return RUN_SEARCH_ATTRIBUTES.flatMap(({ name, type: valueType }) => {
    const found = registered[name];
    if (found === undefined) return [`${name} (${CLI_TYPE[valueType]}) is not registered`];
    if (found !== INDEXED_VALUE_TYPE[valueType]) {
      const actual = Object.entries(INDEXED_VALUE_TYPE).find(([, n]) => n === found)?.[0] ?? `type ${found}`;
      return [`${name} is registered as ${actual}, not ${CLI_TYPE[valueType]}`];
    }
    return [];
  });
}

/**
 * Whether the runs will set search attributes: the schedule's run input decides (the operator's tuning); before the
 * schedule exists, SEARCH_ATTRIBUTES, which seeds it.
 */
async function runsSetSearchAttributes(client: Client, config: SearchAttributesConfig): Promise<boolean> {
  try {
    const { action } = await client.schedule.getHandle(config.SCHEDULE_ID).describe();
    if (action.type !== 'startWorkflow') return config.SEARCH_ATTRIBUTES;
    const input = drainInputSchema.safeParse(action.args?.[0] ?? {});
    // An input every run rejects sets nothing; that run fails visibly for its own reason.
    return input.success ? input.data.searchAttributes : false;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return config.SEARCH_ATTRIBUTES;
    throw err;
  }
}

/** Problems that stop the worker; findings that do not are passed to warn. */
export async function checkSearchAttributes(
  client: Client,
  config: SearchAttributesConfig,
  warn: (message: string) => void,
): Promise<PreflightProblem[]> {
  const namespace = config.TEMPORAL_NAMESPACE;
  let registered: Record<string, number>;
  try {
    const response = await client.connection.operatorService.listSearchAttributes({ namespace });
    registered = { ...response.customAttributes };
  } catch (err) {
    warn(
      `could not list the search attributes of namespace ${namespace} (${err instanceof Error ? err.message : String(err)}): ` +
        'not verified that SubmissionsReceived, SubmissionsInvalid and EventsPublished (Int) exist. If they do not, ' +
        'runs never close until their timeout; register them or set the run input searchAttributes to false.',
    );
    return [];
  }
  const findings = searchAttributeFindings(registered);
  if (findings.length === 0) return [];
  if (!(await runsSetSearchAttributes(client, config))) {
    warn(
      `namespace ${namespace}: ${findings.join('; ')}. Runs do not set search attributes (run input ` +
        'searchAttributes: false), so this is harmless; runs cannot be filtered by their counts in the Web UI.',
    );
    return [];
  }
  const create = RUN_SEARCH_ATTRIBUTES.map(
    ({ name, type: valueType }) =>
      `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${CLI_TYPE[valueType]}`,
  );
  return [
    {
      code: 'search_attributes_missing',
      message:
        `namespace ${namespace}: ${findings.join('; ')}. Every run would publish its events and then fail its last ` +
        'workflow task forever (BadSearchAttributes), stopping the schedule until the run times out. Either register ' +
        `them (a mistyped one must be removed first):\n      ${create.join('\n      ')}\n    or turn them off: ` +
        'npm run schedule:update -- --search-attributes false (before the schedule exists: SEARCH_ATTRIBUTES=false ' +
        'for npm run schedule:apply).',
    },
  ];
}
