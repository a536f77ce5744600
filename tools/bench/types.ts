import type { ActionCounts, HistoryStats } from './actions';
import type { Percentiles } from './stats';
import type { LatencySummary } from '../verify';

/** Which machinery moved the load: our product, the plain-Node loop, or PutRecords alone. */
export type ConfigKind = 'temporal' | 'raw' | 'sink';

export interface CpuFigures {
  /** CPU time (user + system) of the worker process(es) over the measured window. */
  workerCpuMs: number;
  /** Worker CPU per event, microseconds. */
  cpuPerEventUs: number;
  peakRssMb: number;
  /** CPU of each local service over the same window, in cores (CPU seconds per wall second). */
  services: Record<string, number>;
}

export interface VerifyFigures {
  ok: boolean;
  deliveredEvents: number;
  expectedEvents: number;
  duplicates: number;
  /** The verifier's one-line counts, or the failed checks. */
  detail: string;
}

export interface ConfigResult {
  name: string;
  kind: ConfigKind;
  lanes: number;
  workers: number;
  submissions: number;
  validSubmissions: number;
  events: number;
  durationMs: number;
  submissionsPerSec: number;
  eventsPerSec: number;
  /** SQS send → Kinesis arrival, from the verifier (null for the sink, which has no SQS leg). */
  latencyMs: Percentiles | null;
  /** The emulator clock's offset before and after the run; latencies are corrected by their mean. */
  clockOffsetMs?: { before: number; after: number };
  putRecordsRequests: number | null;
  cpu: CpuFigures;
  verify: VerifyFigures;
  /** The repeat of the raw/Temporal comparison this result belongs to (`--pairs`; absent: the first). */
  pair?: number;
  /** The load's mix when it is the large-submission mix (absent: the original fleet's mix). */
  largeMix?: { share: number; events: number; largeSubmissions: number };
  temporal?: {
    actions: ActionCounts;
    actionsPer1000Events: number | null;
    heartbeatsEstimated: number;
    actionsPer1000WithHeartbeats: number | null;
    history: HistoryStats;
  };
}

/** What the wall-clock measurement adds: the emulator's own arrival latency, and first-readable − arrival per record. */
export interface TailerFigures {
  /** Send → the emulator's arrival stamp (corrected by its clock offset). */
  arrivalLatencyMs: LatencySummary | null;
  /** Arrival stamp → first read by the tailer: its resolution (poll interval plus one GetRecords). */
  delayMs: LatencySummary | null;
  /** Send → first readable over every submission, the warm-up's included. */
  withWarmupMs: LatencySummary | null;
}

export interface SteadyResult {
  name: string;
  ratePerSec: number;
  durationSec: number;
  /** Load before the measured period: verified, not in latencyMs (see SteadyOptions). */
  warmupSec: number;
  /** Submissions the sender sent together (1: each at its own due time). */
  burst: number;
  scheduleIntervalSec: number;
  lanes: number;
  mode: 'continuous' | 'drain';
  /** The run input's long-poll wait of a batch's first receive (idleWaitSeconds in continuous mode). */
  receiveWaitSeconds: number;
  runBudgetSeconds: number;
  /** All actions (Schedule starts included) over the steady period, scaled to an hour: the idle cost at rate 0. */
  actionsPerHour: number;
  /** Time nothing listened between consecutive runs, ms. */
  runGapsMs: number[];
  submissions: number;
  events: number;
  runs: number;
  latencyMs: Percentiles | null;
  clockOffsetMs?: { before: number; after: number };
  /** Records the wall-clock tailer saw (latencyMs is send → first readable by it); all events when it saw all. */
  recordsSeenByTailer: number;
  /** The emulator's arrival latency beside the wall-clock one, and what the tailer's resolution adds. */
  tailer?: TailerFigures;
  actionsPer1000Events: number | null;
  actionsPer1000WithHeartbeats: number | null;
  cpu: CpuFigures;
  verify: VerifyFigures;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; loadAverageAtStart: number[] };
  options: Record<string, unknown>;
  backlog: ConfigResult[];
  steady: SteadyResult | null;
  /** Throughput of the best Temporal configuration relative to the raw loop and the sink ceiling. */
  ratios: {
    best: string | null;
    /** Temporal over raw events/s: the median of the pairs' ratios when `--pairs` repeated the comparison. */
    vsRaw: number | null;
    /** Each pair's ratio, in the order measured (one entry without `--pairs`). */
    vsRawPairs?: number[];
    vsSink: number | null;
    rawVsSink: number | null;
    /** Events/s of the large-submission mix over the ordinary mix's at the same lanes, same run (target ≥ 0.5). */
    largeVsOrdinary?: number | null;
  };
  notes: string[];
}
