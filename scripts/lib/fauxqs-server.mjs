// Runs the fauxqs SQS emulator (npm fauxqs 1.9.x, in-memory) for the local stack.
// Unlike `fauxqs` (dist/cli.js), which listens on 0.0.0.0 and logs every request, this binds to SQS_BIND_HOST
// (default 127.0.0.1) on SQS_PORT, logs at FAUXQS_LOG_LEVEL (default "warn"; "info" logs each request) and exits
// cleanly on SIGTERM/SIGINT. Queue URLs are fauxqs's own: http://sqs.<region>.localhost:<port>/000000000000/<name>.
// ESM on purpose: fauxqs is an ESM-only package (its exports map has only an "import" condition).
import { buildApp } from 'fauxqs';

const port = Number.parseInt(process.env.SQS_PORT ?? '9324', 10);
const host = process.env.SQS_BIND_HOST ?? '127.0.0.1';
const level = process.env.FAUXQS_LOG_LEVEL ?? 'warn';
const defaultRegion = process.env.AWS_REGION ?? 'us-east-1';

const app = buildApp({ logger: level === 'silent' ? false : { level }, defaultRegion });

let closing = false;
async function shutdown(signal) {
  if (closing) return;
  closing = true;
  console.log(`${new Date().toISOString()} fauxqs: ${signal}, closing`);
  try {
    await app.close();
    console.log(`${new Date().toISOString()} fauxqs: closed`);
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  const address = await app.listen({ port, host });
  console.log(
    `${new Date().toISOString()} fauxqs: listening on ${address} (pid ${process.pid}, region ${defaultRegion})`,
  );
} catch (err) {
  console.error(`${new Date().toISOString()} fauxqs: failed to listen on ${host}:${port}:`, err);
  process.exit(1);
}
