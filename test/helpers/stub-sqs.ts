import { SQSClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-sqs';

/**
 * A real SQSClient whose chosen command is answered by a handler before anything reaches the network: unit tests
 * keep the SDK's command objects while deciding exactly which entries fail.
 */
export function stubbedSqs(
  commandName: string,
  handler: (input: ServiceInputTypes, call: number) => ServiceOutputTypes | Promise<ServiceOutputTypes>,
): { sqs: SQSClient; calls: () => number } {
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9', // never contacted
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  let calls = 0;
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      return { output: await handler(args.input, calls++), response: {} };
    },
    { step: 'initialize', name: 'stubbedSqs' },
  );
  return { sqs, calls: () => calls };
}
