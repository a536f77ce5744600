import { dataConverterFor, describePayloadProtection } from './data-converter';
import { payloadKeySettingsFromEnv, PayloadKeyConfigError } from './keys';
import { createCodecServer } from './server';
import { codecServerConfigFromEnv, CodecServerConfigError } from './server-config';
import { loadEnvFiles } from '../config/env-files';
import { executeCommand, OperatorError, parseCommandLine, PROCESS_IO, type CliIo } from '../cli/shell';

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
CLI: temporal workflow show -w ID --codec-endpoint http://127.0.0.1:8888 --codec-auth "Bearer $CODEC_SERVER_TOKEN"
     (--codec-auth only when CODEC_SERVER_TOKEN is set)
Takes no flags besides --help. Exit codes: 0 stopped, 1 failed (bad configuration), 2 usage error.`;

async function run(argv: string[]): Promise<void> {
  parseCommandLine(argv, { help: { type: 'boolean', short: 'h' } });
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

/** The codec server as a command (tests call it in-process with --help); exit code as the result. */
export function runCodecServerCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const explained = async (args: string[]): Promise<void> => {
    try {
      await run(args);
    } catch (err) {
      const known = err instanceof PayloadKeyConfigError || err instanceof CodecServerConfigError;
      throw known ? new OperatorError(err.message) : err;
    }
  };
  return executeCommand(USAGE, explained, argv, io);
}

if (require.main === module) {
  void runCodecServerCli(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
