import {
  eventIdFor,
  PARTITION_KEY_FIELDS,
  partitionKeyFor,
  telemetryEventSchema,
  renderSubmission,
  validateSubmission,
  validationLimitsSchema,
  type RenderSubmissionContext,
} from '../../../src/domain';
import { base64, DEVICE_ID, SPEC_EXAMPLE_TEXT, SUBMISSION_ID } from './spec-example';

const ctx: RenderSubmissionContext = {
  messageId: 'msg-1',
  processedAt: new Date('2026-11-28T05:44:18.592Z'),
  includeProvenance: false,
  partitionKeyField: 'device_id',
};

describe('renderSubmission', () => {
  it('returns the docs/contract.md#output records of the docs/contract.md#input example, in order, keyed by device_id', () => {
    const result = renderSubmission(base64(SPEC_EXAMPLE_TEXT), ctx);
    expect(result).toEqual({
      valid: true,
      submissionId: SUBMISSION_ID,
      deviceId: DEVICE_ID,
      partitionKey: DEVICE_ID,
      records: [
        `{"cmdl":"notepad.exe","user":"john","type":"new_process","event_id":"${eventIdFor('msg-1', 0)}","device_id":"${DEVICE_ID}","time_created":"2026-11-28T05:44:18.592Z"}`,
        `{"source_ip":"192.168.0.2","destination_ip":"23.13.252.39","destination_port":43696,"type":"network_connection","event_id":"${eventIdFor('msg-1', 1)}","device_id":"${DEVICE_ID}","time_created":"2026-11-28T05:44:18.592Z"}`,
      ],
      unknownFields: [],
    });
    if (result.valid) {
      for (const record of result.records)
        expect(telemetryEventSchema.safeParse(JSON.parse(record)).success).toBe(true);
    }
  });

  it('can key by submission_id', () => {
    const result = renderSubmission(SPEC_EXAMPLE_TEXT, { ...ctx, partitionKeyField: 'submission_id' });
    expect(result.valid && result.partitionKey).toBe(SUBMISSION_ID);
  });

  it('is deterministic: the same message gives byte-identical records', () => {
    expect(renderSubmission(SPEC_EXAMPLE_TEXT, ctx)).toEqual(renderSubmission(base64(SPEC_EXAMPLE_TEXT), ctx));
  });

  it('passes validation failures through unchanged', () => {
    const body = SPEC_EXAMPLE_TEXT.replace(SUBMISSION_ID, 'not-an-uuid');
    expect(renderSubmission(body, ctx)).toEqual(validateSubmission(body));
    expect(renderSubmission(body, ctx)).toMatchObject({ valid: false, reason: 'invalid_uuid' });
  });

  it('rejects the whole submission as record_too_large when one record plus its key exceeds maxRecordBytes', () => {
    const limits = validationLimitsSchema.parse({ maxRecordBytes: 300 });
    const fits = renderSubmission(SPEC_EXAMPLE_TEXT, { ...ctx, limits });
    expect(fits.valid).toBe(true);
    if (!fits.valid) return;
    const longest = Math.max(...fits.records.map((record) => Buffer.byteLength(record)));

    const exact = validationLimitsSchema.parse({ maxRecordBytes: longest + DEVICE_ID.length });
    expect(renderSubmission(SPEC_EXAMPLE_TEXT, { ...ctx, limits: exact }).valid).toBe(true);

    const tight = validationLimitsSchema.parse({ maxRecordBytes: longest + DEVICE_ID.length - 1 });
    const result = renderSubmission(SPEC_EXAMPLE_TEXT, { ...ctx, limits: tight });
    expect(result).toMatchObject({ valid: false, reason: 'record_too_large' });
    if (!result.valid) expect(result.detail).toMatch(/^event 1 \(network_connection\) is \d+ bytes/);
  });

  it('counts multi-byte characters in bytes for the record size', () => {
    const body = SPEC_EXAMPLE_TEXT.replace('"john"', `"${'👤'.repeat(100)}"`);
    const limits = validationLimitsSchema.parse({ maxRecordBytes: 500 });
    // 100 characters of 4 UTF-8 bytes: under 500 characters, over 500 bytes.
    expect(renderSubmission(body, { ...ctx, limits })).toMatchObject({ valid: false, reason: 'record_too_large' });
  });
});

describe('partitionKeyFor', () => {
  it.each(PARTITION_KEY_FIELDS)('returns the %s', (field) => {
    const result = validateSubmission(SPEC_EXAMPLE_TEXT);
    if (!result.valid) throw new Error(result.reason);
    expect(partitionKeyFor(result.submission, field)).toBe(field === 'device_id' ? DEVICE_ID : SUBMISSION_ID);
  });

  it('never forwards an unknown field: a newer sensor’s submission yields the same records', () => {
    const upgraded = SPEC_EXAMPLE_TEXT.replace('"user": "john"', '"user": "john", "pid": 4').replace(
      '{',
      '{"sensor_version": "7.2",',
    );
    const result = renderSubmission(upgraded, ctx);
    expect(result).toEqual({
      ...renderSubmission(SPEC_EXAMPLE_TEXT, ctx),
      unknownFields: ['sensor_version', 'events.new_process[].pid'],
    });
    expect(renderSubmission(upgraded, { ...ctx, unknownFields: 'reject' })).toMatchObject({
      valid: false,
      reason: 'unknown_field',
    });
  });
});
