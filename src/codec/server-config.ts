import { z } from 'zod';

/**
 * Codec server settings from the environment. Without CODEC_SERVER_TOKEN the server only listens on a loopback
 * address (anyone who can reach it is already on the machine); on any other address, and whenever
 * NODE_ENV=production, a token is required. Messages name the variable and never echo the token.
 */
const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];

const codecServerEnvSchema = z
  .object({
    CODEC_SERVER_HOST: z.string().trim().min(1).default('127.0.0.1'),
    CODEC_SERVER_PORT: z.coerce
      .number({ error: 'must be a port number 0–65535' })
      .int({ error: 'must be a port number 0–65535' })
      .min(0, { error: 'must be a port number 0–65535' })
      .max(65_535, { error: 'must be a port number 0–65535' })
      .default(8888),
    CODEC_SERVER_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]{24,}$/, { error: 'must be at least 24 printable characters without spaces' })
      .optional(),
    /** Browser origins allowed to call the server (the Web UI); comma-separated. */
    CODEC_SERVER_CORS_ORIGINS: z.string().trim().min(1).optional(),
    /** Namespaces whose payloads the server encodes/decodes (the UI names it in X-Namespace); comma-separated. */
    CODEC_SERVER_NAMESPACES: z.string().trim().min(1).optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65_535).default(8233),
    NODE_ENV: z.string().optional(),
  })
  .refine((c) => c.CODEC_SERVER_TOKEN !== undefined || LOOPBACK_HOSTS.includes(c.CODEC_SERVER_HOST), {
    error: 'must be set when CODEC_SERVER_HOST is not a loopback address (127.0.0.1, ::1, localhost)',
    path: ['CODEC_SERVER_TOKEN'],
  })
  .refine((c) => c.CODEC_SERVER_TOKEN !== undefined || c.NODE_ENV !== 'production', {
    error: 'must be set when NODE_ENV=production',
    path: ['CODEC_SERVER_TOKEN'],
  });

export interface CodecServerConfig {
  host: string;
  port: number;
  /** null: no token is asked for (loopback only, local development). */
  token: string | null;
  allowedOrigins: string[];
  namespaces: string[];
}

export class CodecServerConfigError extends Error {
  override readonly name = 'CodecServerConfigError';
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function codecServerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CodecServerConfig {
  const parsed = codecServerEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new CodecServerConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const c = parsed.data;
  return {
    host: c.CODEC_SERVER_HOST,
    port: c.CODEC_SERVER_PORT,
    token: c.CODEC_SERVER_TOKEN ?? null,
    allowedOrigins: c.CODEC_SERVER_CORS_ORIGINS
      ? list(c.CODEC_SERVER_CORS_ORIGINS)
      : [`http://127.0.0.1:${c.TEMPORAL_UI_PORT}`, `http://localhost:${c.TEMPORAL_UI_PORT}`],
    namespaces: c.CODEC_SERVER_NAMESPACES ? list(c.CODEC_SERVER_NAMESPACES) : [c.TEMPORAL_NAMESPACE],
  };
}
