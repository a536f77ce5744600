import { randomUUID } from 'node:crypto';

export interface SampleOptions {
  processes?: number;
  connections?: number;
  deviceId?: string;
}

/** A valid docs/contract.md#input submission document. */
export function validSubmission(options: SampleOptions = {}) {
  return {
    submission_id: randomUUID(),
    device_id: options.deviceId ?? randomUUID(),
    time_created: '2021-03-28T15:44:18.592840',
    events: {
      new_process: Array.from({ length: options.processes ?? 2 }, (_, i) => ({
        cmdl: `proc-${i}.exe --flag`,
        user: 'john',
      })),
      network_connection: Array.from({ length: options.connections ?? 2 }, (_, i) => ({
        source_ip: '192.168.0.2',
        destination_ip: '23.13.252.39',
        destination_port: 1000 + i,
      })),
    },
  };
}

/** Standard base64 of the UTF-8 JSON text, like the original sensor fleet sends. */
export function asBase64(document: unknown): string {
  return Buffer.from(JSON.stringify(document), 'utf8').toString('base64');
}

/** The original fleet's deliberately broken shapes. */
export const brokenBodies = {
  badSubmissionId: () => asBase64({ ...validSubmission(), submission_id: 'not-an-uuid' }),
  nullCmdl: () => {
    const doc = validSubmission();
    return asBase64({ ...doc, events: { ...doc.events, new_process: [{ cmdl: null, user: 'x' }] } });
  },
  badDestinationIp: () => {
    const doc = validSubmission();
    return asBase64({
      ...doc,
      events: {
        ...doc.events,
        network_connection: [{ source_ip: '10.0.0.1', destination_ip: 'not-an-ip', destination_port: 1 }],
      },
    });
  },
  notJson: () => 'this is not json {',
};
