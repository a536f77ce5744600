// docs/contract.md#input's example submission, verbatim, and helpers shared by the domain tests.
export const SPEC_EXAMPLE_TEXT = `{
  "submission_id": "8be01974-0f15-4d4f-809f-257a6de4d3f9",
  "device_id": "31980191-fa99-4768-8a7b-0e81397ca6ef",
  "time_created": "2021-03-28T15:44:18.592840",
  "events": {
    "new_process": [ { "cmdl": "notepad.exe", "user": "john" } ],
    "network_connection": [
      { "source_ip": "192.168.0.2", "destination_ip": "23.13.252.39", "destination_port": 43696 }
    ]
  }
}`;

export const SUBMISSION_ID = '8be01974-0f15-4d4f-809f-257a6de4d3f9';
export const DEVICE_ID = '31980191-fa99-4768-8a7b-0e81397ca6ef';

export function base64(text: string, padded = true): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  return padded ? encoded : encoded.replace(/=+$/, '');
}

// The docs/contract.md#input example's events and the whole submission as plain objects, fresh on every call, for tests to alter
// before serialising.
export function validEvents(): Record<string, unknown> {
  return {
    new_process: [{ cmdl: 'notepad.exe', user: 'john' }],
    network_connection: [{ source_ip: '192.168.0.2', destination_ip: '23.13.252.39', destination_port: 43696 }],
  };
}

export function validDocument(): Record<string, unknown> {
  return {
    submission_id: SUBMISSION_ID,
    device_id: DEVICE_ID,
    time_created: '2021-03-28T15:44:18.592840',
    events: validEvents(),
  };
}
