import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker, type WorkflowBundle } from '@temporalio/worker';

/** Recorded by `npm run record-histories` (tools/replay/); see README.md beside them. */
export const HISTORIES_DIR = join(__dirname, 'histories');

export interface RecordedHistory {
  /** File name without .json; also the workflow id given to the replayer, so errors name the file. */
  name: string;
  /** The file as parsed JSON (`temporal workflow show --output json`). */
  json: unknown;
  /** The same history as the protobuf message the replayer takes. */
  history: unknown;
}

interface ProtoJson {
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}
interface ReflectionRoot {
  lookupType(name: string): unknown;
}
const isProtoJson = (m: unknown): m is ProtoJson =>
  typeof m === 'object' && m !== null && 'fromJson' in m && typeof m.fromJson === 'function';
const isReflectionRoot = (r: unknown): r is ReflectionRoot =>
  typeof r === 'object' && r !== null && 'lookupType' in r && typeof r.lookupType === 'function';

/**
 * JSON history → protobuf History. Not `historyFromJSON` of @temporalio/common: in this dependency tree
 * (@temporalio/* 1.24.0) common and proto each get their own copy of protobufjs 8, because @grpc/proto-loader's
 * protobufjs 7 holds the top-level slot, and common's `instanceof Type` check rejects proto's types ("type must be a
 * Type"). Here the JSON parser is the one of the protobufjs copy that @temporalio/proto itself loads, in any layout.
 */
function jsonToHistory(): (json: unknown) => unknown {
  const protojson: unknown = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson');
  const root: unknown = patchProtobufRoot(proto);
  if (!isProtoJson(protojson) || !isReflectionRoot(root)) {
    throw new Error('cannot load protobufjs/ext/protojson beside @temporalio/proto (SDK layout changed?)');
  }
  const historyType = root.lookupType('temporal.api.history.v1.History');
  return (json) => protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
}

export function loadHistories(dir = HISTORIES_DIR): RecordedHistory[] {
  const toHistory = jsonToHistory();
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const json: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      return { name: basename(file, '.json'), json, history: toHistory(json) };
    });
}

/** Activity types scheduled in a history, in order (read from the JSON, independent of the replayer). */
export function scheduledActivityTypes(json: unknown): string[] {
  const events = typeof json === 'object' && json !== null && 'events' in json ? json.events : [];
  if (!Array.isArray(events)) return [];
  return events.flatMap((event: unknown) => {
    if (typeof event !== 'object' || event === null || !('activityTaskScheduledEventAttributes' in event)) return [];
    const attributes = event.activityTaskScheduledEventAttributes;
    const type =
      typeof attributes === 'object' && attributes !== null && 'activityType' in attributes
        ? attributes.activityType
        : undefined;
    const name = typeof type === 'object' && type !== null && 'name' in type ? type.name : undefined;
    return typeof name === 'string' ? [name] : [];
  });
}

/** Replays every history on one bundle with `Worker.runReplayHistories`; the error of each, undefined when it replayed. */
export async function replayAll(
  workflowBundle: WorkflowBundle,
  histories: RecordedHistory[],
): Promise<Map<string, Error | undefined>> {
  const results = new Map<string, Error | undefined>();
  const replays = Worker.runReplayHistories(
    { workflowBundle },
    histories.map(({ name, history }) => ({ workflowId: name, history })),
  );
  for await (const { workflowId, error } of replays) results.set(workflowId, error);
  return results;
}
