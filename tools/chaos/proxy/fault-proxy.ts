import type { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import {
  errorReply,
  parseJson,
  parseTarget,
  putRecordsRequestSchema,
  putRecordsResponseSchema,
  receiveMessageResponseSchema,
  sqsBatchRequestSchema,
  sqsBatchResponseSchema,
  SQS_BATCH_OPERATIONS,
  type ErrorReply,
  type Target,
} from './aws-json';
import {
  lyingPutRecordsResponse,
  mergePutRecordsResponse,
  mergeSqsBatchResponse,
  survivingPutRecords,
  survivingSqsBatch,
} from './entry-faults';
import { ActiveRule, MAX_HANG_MS, type Fault, type FaultRule, type PutRecordsErrorCode } from './rules';

export interface FaultProxyOptions {
  /** The emulator, e.g. `http://127.0.0.1:4568` (plain HTTP). */
  upstream: string;
  /** Loopback by default; port 0 lets the OS choose (read it from `port`/`url`). */
  host?: string;
  port?: number;
}

export interface RuleStats {
  name: string;
  injected: number;
  active: boolean;
}

export interface ProxyStats {
  /** Requests received, by operation (`?` when the target header is missing or unknown). */
  requests: Record<string, number>;
  /** Requests sent on to the upstream (whole or with surviving entries). */
  forwarded: number;
  /** Connections refused or reset while the upstream was "down". */
  downRejections: number;
  /**
   * Requests read and then refused (connection destroyed, no answer, nothing forwarded) while the upstream was "down"
   * in `reject` mode, by operation: proof that the pipeline really tried to reach it during the outage.
   */
  refusedWhileDown: Record<string, number>;
  /**
   * SQS batch entries (DeleteMessageBatch, ChangeMessageVisibilityBatch) that an entry fault failed, by operation:
   * `failed` distinct receipt handles, of which `retried` a later request of the same operation carried again and the
   * upstream accepted. A client that treats failed entries as done leaves `retried` below `failed`.
   */
  entryRetries: Record<string, { failed: number; retried: number }>;
  /**
   * Requests whose client went away (socket closed by the client, e.g. a SIGKILLed worker) before the proxy answered;
   * requests the proxy itself dropped (hang, reset, down) are not counted.
   */
  abandoned: number;
  /** SQS ReceiveMessage answers: messages handed out, and how many of them had been handed out before (redelivery). */
  received: { messages: number; redelivered: number };
  rules: RuleStats[];
  /** When the last fault of any kind was injected (epoch ms); undefined before the first. */
  lastFaultAtMs?: number;
}

export interface DownOptions {
  durationMs: number;
  /**
   * `refuse`: stop listening (ECONNREFUSED; the kernel refuses, so nothing can be counted); `reset`: accept and destroy
   * every connection at once (counted in downRejections); `reject`: read each request, count it by operation in
   * refusedWhileDown, then destroy the connection without an answer and without forwarding anything.
   */
  mode?: 'refuse' | 'reset' | 'reject';
}

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  /** Adds a rule; later rules are consulted after earlier ones. Returns the rule's runtime state. */
  add(rule: FaultRule): ActiveRule;
  /** Replaces every rule. */
  set(rules: readonly FaultRule[]): void;
  /** Removes every rule and ends any down window: a clean pass-through proxy again. */
  reset(): Promise<void>;
  /** The upstream looks unreachable for a while (bounded), then comes back by itself. */
  down(options: DownOptions): Promise<void>;
  /** Ends a down window early. */
  up(): Promise<void>;
  isDown(): boolean;
  stats(): ProxyStats;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'proxy-connection',
]);

interface UpstreamReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Phase = 'before' | 'after';
type TerminalFault = Extract<Fault, { kind: 'throttle' | 'serverError' | 'hang' | 'reset' }>;

/** Starts a fault-injecting HTTP proxy in front of one AWS JSON-protocol emulator. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const host = options.host ?? '127.0.0.1';
  let rules: ActiveRule[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const stats: Omit<ProxyStats, 'rules' | 'received' | 'refusedWhileDown' | 'entryRetries'> = {
    requests: {},
    forwarded: 0,
    downRejections: 0,
    abandoned: 0,
  };
  const refusedWhileDown: Record<string, number> = {};
  /** Per SQS batch operation: receipt handles an entry fault failed and no accepted request has carried since. */
  const failedHandles = new Map<string, Set<string>>();
  const entryRetries: Record<string, { failed: number; retried: number }> = {};
  const receivedIds = new Set<string>();
  const received = { messages: 0, redelivered: 0 };
  /** Sockets the proxy destroys on purpose: their requests are faults, not abandoned by the client. */
  const droppedByProxy = new WeakSet<Socket>();
  let downMode: DownOptions['mode'];
  let downTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const noteFault = (): void => {
    stats.lastFaultAtMs = Date.now();
  };

  const server = createServer((req, res) => void handle(req, res).catch(() => dropSocket(req.socket)));
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    if (downMode === 'reset') {
      stats.downRejections += 1;
      noteFault();
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let port = options.port ?? 0;
  await listen();

  async function listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        if (address && typeof address === 'object') port = address.port;
        resolve();
      });
    });
  }

  function later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.once('close', () => {
      if (!res.writableFinished && !droppedByProxy.has(req.socket) && !closed) stats.abandoned += 1;
    });
    const body = await readBody(req);
    const target = parseTarget(req.headers['x-amz-target']);
    const op = target.operation || '?';
    stats.requests[op] = (stats.requests[op] ?? 0) + 1;
    if (downMode === 'reject') {
      refusedWhileDown[op] = (refusedWhileDown[op] ?? 0) + 1;
      noteFault();
      dropSocket(req.socket);
      return;
    }
    const now = Date.now();
    const active = rules.filter((r) => r.applies(target.operation, now));

    const { delayBefore, delayAfter, terminal } = planRequestFaults(active, noteFault);
    if (delayBefore > 0) await sleep(delayBefore);

    if (terminal && phaseOf(terminal) === 'before') return applyTerminal(terminal, target, req, res);

    const forwardBody = (forwarded: Buffer): Promise<UpstreamReply | undefined> => {
      stats.forwarded += 1;
      return forwardToUpstream(upstream, agent, req, forwarded);
    };
    const faulted = await entryFaultReply(target, body, active, forwardBody, noteFault, noteFailedEntries);
    const reply = faulted === null ? await forwardBody(body) : faulted;
    if (reply === undefined) {
      // The upstream itself is unreachable: the client sees a network failure, as it would without the proxy.
      dropSocket(req.socket);
      return;
    }
    if (target.operation === 'ReceiveMessage' && reply.status === 200) countReceived(reply.body);
    if (SQS_BATCH_OPERATIONS.includes(target.operation) && reply.status === 200) {
      countRetriedEntries(target.operation, body, reply.body);
    }
    if (delayAfter > 0) await sleep(delayAfter);
    if (terminal) return applyTerminal(terminal, target, req, res);
    send(res, reply);
  }

  function applyTerminal(fault: TerminalFault, target: Target, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'throttle':
        return sendError(res, errorReply(target.service, 'throttle'));
      case 'serverError':
        return sendError(res, errorReply(target.service, fault.status));
      case 'reset':
        dropSocket(req.socket);
        return;
      case 'hang': {
        const ms = Math.min(MAX_HANG_MS, Math.max(0, fault.maxHangMs));
        droppedByProxy.add(req.socket);
        later(ms, () => dropSocket(req.socket));
        return;
      }
    }
  }

  function dropSocket(socket: Socket): void {
    droppedByProxy.add(socket);
    socket.destroy();
  }

  function countReceived(body: Buffer): void {
    const parsed = parseJson(receiveMessageResponseSchema, body.toString('utf8'));
    for (const message of parsed?.Messages ?? []) {
      received.messages += 1;
      if (receivedIds.has(message.MessageId)) received.redelivered += 1;
      else receivedIds.add(message.MessageId);
    }
  }

  function noteFailedEntries(operation: string, handles: readonly string[]): void {
    const pending = failedHandles.get(operation) ?? new Set<string>();
    failedHandles.set(operation, pending);
    const counts = (entryRetries[operation] ??= { failed: 0, retried: 0 });
    for (const handle of handles) {
      if (pending.has(handle)) continue;
      pending.add(handle);
      counts.failed += 1;
    }
  }

  /** Entries the upstream accepted whose receipt handle an entry fault had failed before: retried, not forgotten. */
  function countRetriedEntries(operation: string, requestBody: Buffer, replyBody: Buffer): void {
    const pending = failedHandles.get(operation);
    if (!pending || pending.size === 0) return;
    const request = parseJson(sqsBatchRequestSchema, requestBody.toString('utf8'));
    const answer = parseJson(sqsBatchResponseSchema, replyBody.toString('utf8'));
    if (!request || !answer) return;
    const accepted = new Set((answer.Successful ?? []).map((s) => s.Id));
    const counts = (entryRetries[operation] ??= { failed: 0, retried: 0 });
    for (const entry of request.Entries) {
      const handle = receiptHandleOf(entry);
      if (handle !== undefined && accepted.has(entry.Id) && pending.delete(handle)) counts.retried += 1;
    }
  }

  function destroySockets(): void {
    for (const socket of sockets) dropSocket(socket);
    sockets.clear();
  }

  async function up(): Promise<void> {
    if (downTimer) clearTimeout(downTimer);
    downTimer = undefined;
    const wasRefusing = downMode === 'refuse';
    downMode = undefined;
    if (wasRefusing && !closed) await listen();
  }

  return {
    get url() {
      return `http://${host}:${port}`;
    },
    get port() {
      return port;
    },
    add(rule) {
      const active = new ActiveRule(rule, Date.now());
      rules.push(active);
      return active;
    },
    set(newRules) {
      const now = Date.now();
      rules = newRules.map((r) => new ActiveRule(r, now));
    },
    async reset() {
      rules = [];
      await up();
    },
    async down({ durationMs, mode = 'refuse' }) {
      if (downMode) return;
      downMode = mode;
      noteFault();
      if (mode === 'refuse') {
        const closing = new Promise<void>((resolve) => server.close(() => resolve()));
        destroySockets();
        await closing;
      } else destroySockets();
      const bounded = Math.min(Math.max(0, durationMs), 30 * 60_000);
      downTimer = setTimeout(() => {
        stats.lastFaultAtMs = Date.now();
        void up();
      }, bounded);
    },
    up,
    isDown: () => downMode !== undefined,
    stats() {
      const now = Date.now();
      return {
        ...stats,
        requests: { ...stats.requests },
        received: { ...received },
        refusedWhileDown: { ...refusedWhileDown },
        entryRetries: Object.fromEntries(Object.entries(entryRetries).map(([op, c]) => [op, { ...c }])),
        rules: rules.map((r) => ({ name: r.name, injected: r.injected, active: r.isLive(now) })),
      };
    },
    async close() {
      closed = true;
      if (downTimer) clearTimeout(downTimer);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      destroySockets();
      agent.destroy();
      if (downMode !== 'refuse') await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The request-level faults of the rules that apply: latency before and after, and at most one terminal fault. */
function planRequestFaults(
  active: readonly ActiveRule[],
  noteFault: () => void,
): { delayBefore: number; delayAfter: number; terminal: TerminalFault | undefined } {
  let delayBefore = 0;
  let delayAfter = 0;
  let terminal: TerminalFault | undefined;
  for (const rule of active) {
    const fault = rule.rule.fault;
    if (fault.kind === 'latency') {
      if (!rule.selectRequest()) continue;
      noteFault();
      if ((fault.phase ?? 'before') === 'before') delayBefore += fault.ms;
      else delayAfter += fault.ms;
    } else if (
      terminal === undefined &&
      (fault.kind === 'throttle' || fault.kind === 'serverError' || fault.kind === 'hang' || fault.kind === 'reset')
    ) {
      if (!rule.selectRequest()) continue;
      noteFault();
      terminal = fault;
    }
  }
  return { delayBefore, delayAfter, terminal };
}

function phaseOf(fault: TerminalFault): Phase {
  return fault.kind === 'hang' || fault.kind === 'reset' ? (fault.phase ?? 'before') : 'before';
}

type Forward = (body: Buffer) => Promise<UpstreamReply | undefined>;

/**
 * Forwards the entries no fault took: the upstream's parsed answer to merge with the injected failures, or the reply to
 * pass on as it is (an error status, an unreadable body, or undefined: the upstream could not be reached).
 */
async function forwardSurvivors<T>(
  forward: Forward,
  survivors: unknown,
  schema: z.ZodType<T>,
): Promise<{ answer: T } | { passOn: UpstreamReply | undefined }> {
  const reply = await forward(Buffer.from(JSON.stringify(survivors)));
  if (reply === undefined || reply.status !== 200) return { passOn: reply };
  const answer = parseJson(schema, reply.body.toString('utf8'));
  return answer === undefined ? { passOn: reply } : { answer };
}

/**
 * Entry faults of PutRecords and the SQS batch operations: failed entries are not forwarded, and the answer is rebuilt
 * in the original order. `null`: no entry fault applies, forward the request as it is; undefined: the upstream could
 * not be reached.
 */
async function entryFaultReply(
  target: Target,
  body: Buffer,
  active: readonly ActiveRule[],
  forward: Forward,
  noteFault: () => void,
  noteFailedEntries: (operation: string, receiptHandles: readonly string[]) => void,
): Promise<UpstreamReply | undefined | null> {
  if (target.operation === 'PutRecords') {
    const parsed = parseJson(putRecordsRequestSchema, body.toString('utf8'));
    const lie = active.find((r) => r.rule.fault.kind === 'putRecordsLie');
    if (parsed && lie && lie.selectRequest()) {
      noteFault();
      const code =
        lie.rule.fault.kind === 'putRecordsLie' ? (lie.rule.fault.errorCode ?? 'InternalFailure') : 'InternalFailure';
      return jsonReply(target, lyingPutRecordsResponse(parsed.Records.length, code));
    }
    const rule = active.find((r) => r.rule.fault.kind === 'putRecordsEntries');
    if (parsed && rule) {
      const failed = rule.selectEntries(parsed.Records.length);
      if (failed.size > 0) {
        noteFault();
        const fault = rule.rule.fault;
        const codes: readonly PutRecordsErrorCode[] =
          fault.kind === 'putRecordsEntries' && fault.errorCodes?.length
            ? fault.errorCodes
            : ['ProvisionedThroughputExceededException'];
        // The k-th injected failure gets codes[k mod n], so a mix of codes spreads over every request.
        let k = rule.injected - failed.size;
        const codeFor = (): PutRecordsErrorCode => codes[k++ % codes.length] ?? 'InternalFailure';
        const survivors = survivingPutRecords(parsed, failed);
        const upstream = survivors
          ? await forwardSurvivors(forward, survivors, putRecordsResponseSchema)
          : { answer: undefined };
        if (!('answer' in upstream)) return upstream.passOn;
        return jsonReply(target, mergePutRecordsResponse(parsed.Records.length, failed, upstream.answer, codeFor));
      }
    }
  } else if (SQS_BATCH_OPERATIONS.includes(target.operation)) {
    const parsed = parseJson(sqsBatchRequestSchema, body.toString('utf8'));
    const rule = active.find((r) => r.rule.fault.kind === 'sqsBatchEntries');
    if (parsed && rule) {
      const failed = rule.selectEntries(parsed.Entries.length);
      if (failed.size > 0) {
        noteFault();
        noteFailedEntries(
          target.operation,
          parsed.Entries.flatMap((entry, i) => {
            const handle = failed.has(i) ? receiptHandleOf(entry) : undefined;
            return handle === undefined ? [] : [handle];
          }),
        );
        const code =
          rule.rule.fault.kind === 'sqsBatchEntries' ? (rule.rule.fault.code ?? 'InternalError') : 'InternalError';
        const survivors = survivingSqsBatch(parsed, failed);
        const upstream = survivors
          ? await forwardSurvivors(forward, survivors, sqsBatchResponseSchema)
          : { answer: undefined };
        if (!('answer' in upstream)) return upstream.passOn;
        return jsonReply(target, mergeSqsBatchResponse(parsed, failed, upstream.answer, code));
      }
    }
  }
  return null;
}

/** The request as the client sent it (hop-by-hop headers aside) to the upstream; undefined: unreachable. */
function forwardToUpstream(
  upstream: URL,
  agent: Agent,
  req: IncomingMessage,
  body: Buffer,
): Promise<UpstreamReply | undefined> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers['host'] = upstream.host;
  headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    const out = httpRequest(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () =>
          resolve({ status: upRes.statusCode ?? 502, headers: upRes.headers, body: Buffer.concat(chunks) }),
        );
        upRes.on('error', () => resolve(undefined));
      },
    );
    out.on('error', () => resolve(undefined));
    out.end(body);
  });
}

function jsonReply(target: Target, value: unknown): UpstreamReply {
  return {
    status: 200,
    headers: {
      'content-type': target.service === 'sqs' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
    },
    body: Buffer.from(JSON.stringify(value)),
  };
}

function send(res: ServerResponse, reply: UpstreamReply): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(reply.headers)) {
    // A rewritten body invalidates the upstream's length and checksum.
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'x-amz-crc32') headers[name] = value;
  }
  headers['content-length'] = String(reply.body.length);
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

function sendError(res: ServerResponse, reply: ErrorReply): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
  res.end(reply.body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The receipt handle of an SQS batch entry (DeleteMessageBatch, ChangeMessageVisibilityBatch), if it has one. */
function receiptHandleOf(entry: { Id: string } & Record<string, unknown>): string | undefined {
  const handle = entry['ReceiptHandle'];
  return typeof handle === 'string' ? handle : undefined;
}
