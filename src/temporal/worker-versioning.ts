import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { z } from 'zod';

/**
 * Worker Deployment Versioning (docs/deploy.md), opt-in: with WORKER_DEPLOYMENT_NAME set, the worker joins that
 * deployment as version `<name>.<build id>` and only gets work routed to that version. Without it the worker is
 * unversioned, so the local stack needs no `set-current-version` step.
 *
 * Every run is PINNED: a scheduled run lasts minutes (its run budget, carried across continue-as-new) and finishes on
 * the code it started on, while new runs go to the current version. No open run ever meets new workflow code, so a
 * release need not stay replay-compatible with runs already open, and the old version drains within one run budget.
 * AUTO_UPGRADE would move open runs onto new code at their next workflow task and make every change a patched() change.
 */
export const VERSIONING_BEHAVIOR = 'PINNED';

/** Written by `npm run build` beside the prebuilt workflow bundle (dist/build-id.txt); read when running from dist/. */
export const BUILD_ID_PATH = resolve(__dirname, '..', '..', 'build-id.txt');

const versioningEnvSchema = z.object({
  WORKER_DEPLOYMENT_NAME: z
    .string()
    // The version's canonical name is `<deployment>.<build id>`, so the deployment name must not contain a dot.
    .regex(/^[A-Za-z0-9_-]{1,255}$/, { error: 'must be 1–255 of A-Z a-z 0-9 _ - (no dots)' })
    .optional(),
  WORKER_BUILD_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.+-]{1,255}$/, { error: 'must be 1–255 of A-Z a-z 0-9 _ . + -' })
    .optional(),
});

export class WorkerVersioningError extends Error {
  override readonly name = 'WorkerVersioningError';
}

/** Spread into `Worker.create` options: `{ workerDeploymentOptions }` when a deployment name is set, else nothing. */
export function workerVersioning(
  env: Record<string, string | undefined> = process.env,
  buildIdFile = BUILD_ID_PATH,
): { workerDeploymentOptions?: WorkerDeploymentOptions } {
  const parsed = versioningEnvSchema.safeParse({
    WORKER_DEPLOYMENT_NAME: env.WORKER_DEPLOYMENT_NAME || undefined,
    WORKER_BUILD_ID: env.WORKER_BUILD_ID || undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new WorkerVersioningError(`invalid worker versioning settings: ${problems}`);
  }
  const deploymentName = parsed.data.WORKER_DEPLOYMENT_NAME;
  if (deploymentName === undefined) return {};
  const buildId = parsed.data.WORKER_BUILD_ID ?? readBuildId(buildIdFile);
  return {
    workerDeploymentOptions: {
      version: { deploymentName, buildId },
      useWorkerVersioning: true,
      defaultVersioningBehavior: VERSIONING_BEHAVIOR,
    },
  };
}

function readBuildId(file: string): string {
  if (!existsSync(file)) {
    throw new WorkerVersioningError(
      `WORKER_DEPLOYMENT_NAME is set but there is no build id: set WORKER_BUILD_ID, or run the compiled worker ` +
        `(npm run build writes dist/build-id.txt; looked for ${file})`,
    );
  }
  const buildId = readFileSync(file, 'utf8').trim();
  const checked = versioningEnvSchema.shape.WORKER_BUILD_ID.safeParse(buildId);
  if (!checked.success || checked.data === undefined) {
    throw new WorkerVersioningError(`${file} does not hold a build id: "${buildId.slice(0, 80)}"`);
  }
  return checked.data;
}
