import { ORIGINAL_MESSAGE_ID_ATTRIBUTE, originalMessageId } from '../../../src/dlq/copy-redrive';

/** G3 after a redrive: which id a redriven copy carries in OriginalMessageId (docs/operations.md, "Dead letters"). */
describe('originalMessageId', () => {
  it('is the dead letter’s own message id the first time it is redriven', () => {
    expect(
      originalMessageId({ MessageId: 'm-1', MessageAttributes: { origin: { DataType: 'String', StringValue: 'x' } } }),
    ).toBe('m-1');
  });

  it('is the id a copy already carries when it was redriven before and dead-lettered again', () => {
    expect(
      originalMessageId({
        MessageId: 'copy-2',
        MessageAttributes: { [ORIGINAL_MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: 'm-1' } },
      }),
    ).toBe('m-1');
  });

  it('ignores an OriginalMessageId attribute that is not a non-empty String', () => {
    expect(
      originalMessageId({
        MessageId: 'm-3',
        MessageAttributes: {
          [ORIGINAL_MESSAGE_ID_ATTRIBUTE]: { DataType: 'Binary', BinaryValue: new Uint8Array([1]) },
        },
      }),
    ).toBe('m-3');
    expect(
      originalMessageId({
        MessageId: 'm-4',
        MessageAttributes: { [ORIGINAL_MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: '' } },
      }),
    ).toBe('m-4');
  });
});
