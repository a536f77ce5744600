import { dataConverterFor, describePayloadProtection } from './codec/data-converter';
import { payloadKeySettingsFromEnv, PayloadKeyConfigError } from './codec/keys';
import { createCodecServer } from './codec/server';
import { codecServerConfigFromEnv, CodecServerConfigError } from './codec/server-config';
import { loadEnvFiles } from './env-files';

const USAGE = `npm run codec-server: Temporal codec server for the Web UI and the temporal CLI (docs/confidentiality.md)
  POST /encode, POST /decode  {"payloads":[{"metadata":{...},"data":"<base64>"}]}
Environment:
  CODEC_SERVER_HOST          listen address (default 127.0.0.1; any other needs CODEC_SERVER_TOKEN)
  CODEC_SERVER_PORT          listen port (default 8888)
  CODEC_SERVER_TOKEN         bearer token every request must carry (required when NODE_ENV=production)
  CODEC_SERVER_CORS_ORIGINS  browser origins allowed, comma-separated (default: the local Web UI on TEMPORAL_UI_PORT)
  CODEC_SERVER_NAMESPACES    namespaces served, comma-separated (default: TEMPORAL_NAMESPACE)
  PAYLOAD_KEYS / PAYLOAD_KEYS_FILE / PAYLOAD_ACTIVE_KEY_ID / PAYLOAD_ENCRYPTION  the worker's payload keys
Open the UI with it: temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888
CLI: temporal workflow show -w ID --codec-endpoint http://127.0.0.1:8888 [--codec-auth "Bearer $CODEC_SERVER_TOKEN"]`;

async function run(): Promise<void> {
  if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
    console.log(USAGE);
    return;
  }
  loadEnvFiles();
  const config = codecServerConfigFromEnv();
  const settings = payloadKeySettingsFromEnv();
  const server = createCodecServer(config, dataConverterFor(settings).payloadCodecs ?? []);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  console.log(
    `codec server on http://${config.host}:${config.port} (${config.token ? 'bearer token required' : 'no token: loopback only'}; ` +
      `origins ${config.allowedOrigins.join(', ')}; namespaces ${config.namespaces.join(', ')}); ${describePayloadProtection(settings)}`,
  );
  const stop = (): void => {
    server.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((err) => {
  const known = err instanceof PayloadKeyConfigError || err instanceof CodecServerConfigError;
  console.error(known && err instanceof Error ? err.message : err);
  process.exit(1);
});
