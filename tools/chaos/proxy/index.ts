export {
  startFaultProxy,
  type FaultProxy,
  type FaultProxyOptions,
  type ProxyStats,
  type DownOptions,
} from './fault-proxy';
export {
  ActiveRule,
  DEFAULT_RULE_DURATION_MS,
  MAX_HANG_MS,
  seededRandom,
  type EntrySelector,
  type Fault,
  type FaultRule,
  type PutRecordsErrorCode,
  type RequestSelector,
  type RuleLimit,
} from './rules';
export { parseTarget, errorReply } from './aws-json';
