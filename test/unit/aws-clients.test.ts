import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKinesisClient } from '../../src/aws/clients';

// A server that accepts every request and never answers: what a hung emulator or a black-holed network looks like.
function startHungServer(): Promise<Server> {
  const server = createServer(() => undefined);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('AWS clients', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startHungServer();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('turn a hung response into an error after the request timeout, not a warning and an endless wait', async () => {
    const { port } = server.address() as AddressInfo;
    const kinesis = createKinesisClient(
      { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${port}` },
      { requestTimeoutMs: 300 },
    );
    const started = Date.now();
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toThrow(/timeout|timed out/i);
    // Generous bound: the point is that it ends at all (without throwOnRequestTimeout it waits for the socket).
    expect(Date.now() - started).toBeLessThan(10_000);
    kinesis.destroy();
  });
});
