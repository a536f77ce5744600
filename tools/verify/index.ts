// What the end-to-end test calls directly.
export {
  readAllRecords,
  StreamReader,
  IncompleteStreamReadError,
  type StreamRecord,
  type ReadOptions,
} from './stream-reader';
export {
  judge,
  formatReport,
  summarizeLatencies,
  CHECKS,
  type JudgeOptions,
  type JudgeReport,
  type CheckCode,
  type LatencySummary,
} from './judge';
export { readQueueDepth, isDrained, QueueDepthUnavailableError, type QueueDepth } from './queue-depth';
export { waitForSettled, type WaitOptions, type WaitOutcome } from './wait';
