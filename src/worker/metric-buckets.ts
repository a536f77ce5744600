/**
 * Histogram buckets the worker's Prometheus exporter uses instead of the SDK's defaults, per metric name. The SDK's
 * default buckets end at 10 s, but a submission normally waits up to one schedule interval (default 30 s) before a run
 * picks it up, so the end-to-end lag p99 of a healthy pipeline would sit in the +Inf bucket and the lag alert
 * (deploy/prometheus/rules.yml, docs/alerts.md) could not tell 40 s from 40 min.
 */
export const HISTOGRAM_BUCKET_OVERRIDES: Record<string, number[]> = {
  edr_end_to_end_lag_ms: [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 20_000, 30_000, 45_000, 60_000, 90_000, 120_000, 300_000, 600_000,
    1_800_000,
  ],
};
