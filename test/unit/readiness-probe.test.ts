import { isPolling, pollerCounts } from '../../src/worker/readiness-probe';

// Lines as the SDK's Prometheus endpoint writes them (seen from the production image, docs/deploy.md).
const METRICS = `# HELP temporal_num_pollers Current number of active pollers per queue type
# TYPE temporal_num_pollers gauge
temporal_num_pollers{namespace="default",poller_type="activity_task",service_name="temporal-core-sdk",task_queue="tq"} 10
temporal_num_pollers{namespace="default",poller_type="sticky_workflow_task",service_name="temporal-core-sdk",task_queue="tq"} 8
temporal_num_pollers{namespace="default",poller_type="workflow_task",service_name="temporal-core-sdk",task_queue="tq"} 2
temporal_num_pollers{namespace="default",poller_type="workflow_task",service_name="temporal-core-sdk",task_queue="other"} 0
`;

describe('readiness probe', () => {
  it('is ready when the task queue has workflow and activity pollers', () => {
    const counts = pollerCounts(METRICS, 'tq', 'default');
    expect(counts).toEqual({ workflow_task: 2, activity_task: 10 });
    expect(isPolling(counts)).toBe(true);
  });

  it('is not ready for another task queue or namespace, or with no pollers of one type', () => {
    expect(isPolling(pollerCounts(METRICS, 'other', 'default'))).toBe(false);
    expect(isPolling(pollerCounts(METRICS, 'tq', 'prod'))).toBe(false);
    expect(
      isPolling(pollerCounts(METRICS.replace(/activity_task",(.*) 10$/m, 'activity_task",$1 0'), 'tq', 'default')),
    ).toBe(false);
    expect(isPolling(pollerCounts('', 'tq', 'default'))).toBe(false);
  });
});
