import { Client, Connection } from '@temporalio/client';

/**
 * Where a backlog run's time goes: `tsx tools/bench/experiments/timeline.ts <workflowId>` prints every activity of
 * the run with its scheduled, started and closed offsets (ms from the run's start) and the totals per activity type:
 * time queued (scheduled → started), running (started → closed), and the gaps in which no activity of a lane ran.
 */
async function main(): Promise<void> {
  const workflowId = process.argv[2];
  if (!workflowId || workflowId === '--help') {
    console.log('Usage: tsx tools/bench/experiments/timeline.ts <workflowId>   (needs the local stack)');
    return;
  }
  const client = new Client({
    connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' }),
  });
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const ms = (e: (typeof events)[number]): number =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  const t0 = ms(events[0]!);
  const scheduled = new Map<string, { type: string; at: number; summary: string }>();
  const started = new Map<string, number>();
  const totals = new Map<string, { n: number; queued: number; running: number }>();
  const rows: string[] = [];
  let wfTasks = 0;
  let wfTaskMs = 0;
  const wfScheduled = new Map<string, number>();
  for (const e of events) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(id, {
        type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
        at: ms(e),
        summary: '',
      });
    } else if (e.activityTaskStartedEventAttributes) {
      started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), ms(e));
    } else if (
      e.activityTaskCompletedEventAttributes ||
      e.activityTaskFailedEventAttributes ||
      e.activityTaskTimedOutEventAttributes
    ) {
      const a =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes;
      const sid = String(a?.scheduledEventId);
      const s = scheduled.get(sid)!;
      const st = started.get(sid) ?? s.at;
      const t = totals.get(s.type) ?? { n: 0, queued: 0, running: 0 };
      t.n++;
      t.queued += st - s.at;
      t.running += ms(e) - st;
      totals.set(s.type, t);
      rows.push(
        `${String(s.at - t0).padStart(6)} ${String(st - t0).padStart(6)} ${String(ms(e) - t0).padStart(6)}  ${s.type}`,
      );
    } else if (e.workflowTaskScheduledEventAttributes) {
      wfScheduled.set(id, ms(e));
    } else if (e.workflowTaskCompletedEventAttributes) {
      wfTasks++;
      wfTaskMs += ms(e) - (wfScheduled.get(String(e.workflowTaskCompletedEventAttributes.scheduledEventId)) ?? ms(e));
    }
  }
  console.log(' sched  start  close  activity');
  for (const r of rows) console.log(r);
  console.log(
    `run: ${ms(events[events.length - 1]!) - t0} ms, ${events.length} events; ${wfTasks} workflow tasks, ${wfTaskMs} ms scheduled → completed in all`,
  );
  for (const [type, t] of totals)
    console.log(`${type.padEnd(26)} n=${t.n} queued ${t.queued} ms, running ${t.running} ms`);
}

void main();
