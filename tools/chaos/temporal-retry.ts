import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError } from '@temporalio/client';

// gRPC status codes (google.rpc.Code) that mean "no server answered": connection refused or reset (UNAVAILABLE), or no
// answer in time (DEADLINE_EXCEEDED). Numbers rather than an import of @grpc/grpc-js, which is not our dependency.
const UNREACHABLE_CODES: ReadonlySet<number> = new Set([/* DEADLINE_EXCEEDED */ 4, /* UNAVAILABLE */ 14]);

/** The error (or one of its causes: the client wraps gRPC errors in `ServiceError`) says the server was unreachable. */
export function isTemporalUnreachable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (isGrpcServiceError(current) && UNREACHABLE_CODES.has(current.code)) return true;
    current = current.cause;
  }
  return false;
}

function innermostMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return (current instanceof Error ? current.message : String(current)).slice(0, 200);
}

/**
 * Calls `call` until it settles with anything but "Temporal unreachable", for at most `timeoutMs`. The client's own
 * retry interceptor gives up after about 20 s, less than a server restart can take; this outer bound rides it out.
 * Only for calls that are safe to repeat (a start with a fixed workflow id, waiting for a result).
 */
export async function retryWhileTemporalUnreachable<T>(
  what: string,
  call: () => Promise<T>,
  options: { timeoutMs: number; log: (message: string) => void },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isTemporalUnreachable(err) || Date.now() >= deadline) throw err;
      options.log(`${what}: Temporal unreachable (${innermostMessage(err)}); retrying (attempt ${attempt + 1})`);
      await sleep(1_000);
    }
  }
}
