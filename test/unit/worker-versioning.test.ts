import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerVersioning, WorkerVersioningError } from '../../src/temporal/worker-versioning';

describe('workerVersioning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'build-id-'));
  const buildIdFile = join(dir, 'build-id.txt');
  writeFileSync(buildIdFile, '69b93a97c0aa7e44\n');
  const missingFile = join(dir, 'absent.txt');

  it('is off without a deployment name, even with a build id (the local stack needs no set-current-version)', () => {
    expect(workerVersioning({}, buildIdFile)).toEqual({});
    expect(workerVersioning({ WORKER_DEPLOYMENT_NAME: '', WORKER_BUILD_ID: 'b1' }, buildIdFile)).toEqual({});
  });

  it('pins runs to the version named by the deployment and the build id of the build', () => {
    expect(workerVersioning({ WORKER_DEPLOYMENT_NAME: 'edr-preprocessor' }, buildIdFile)).toEqual({
      workerDeploymentOptions: {
        version: { deploymentName: 'edr-preprocessor', buildId: '69b93a97c0aa7e44' },
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'PINNED',
      },
    });
  });

  it('takes WORKER_BUILD_ID over the build file', () => {
    const options = workerVersioning({ WORKER_DEPLOYMENT_NAME: 'edr', WORKER_BUILD_ID: 'git-4f2a9c1' }, buildIdFile);
    expect(options.workerDeploymentOptions?.version).toEqual({ deploymentName: 'edr', buildId: 'git-4f2a9c1' });
  });

  it('refuses a deployment name without any build id, naming both ways to give one', () => {
    expect(() => workerVersioning({ WORKER_DEPLOYMENT_NAME: 'edr' }, missingFile)).toThrow(
      new WorkerVersioningError(
        `WORKER_DEPLOYMENT_NAME is set but there is no build id: set WORKER_BUILD_ID, or run the compiled worker ` +
          `(npm run build writes dist/build-id.txt; looked for ${missingFile})`,
      ),
    );
  });

  it('refuses names that would make an ambiguous version string', () => {
    expect(() => workerVersioning({ WORKER_DEPLOYMENT_NAME: 'edr.prod', WORKER_BUILD_ID: 'b1' })).toThrow(
      /WORKER_DEPLOYMENT_NAME must be 1–255 of A-Z a-z 0-9 _ - \(no dots\)/,
    );
    expect(() => workerVersioning({ WORKER_DEPLOYMENT_NAME: 'edr', WORKER_BUILD_ID: 'has space' })).toThrow(
      /WORKER_BUILD_ID must be/,
    );
  });

  it('refuses a build file that does not hold a build id', () => {
    const garbage = join(dir, 'garbage.txt');
    writeFileSync(garbage, 'not a build id\n');
    expect(() => workerVersioning({ WORKER_DEPLOYMENT_NAME: 'edr' }, garbage)).toThrow(/does not hold a build id/);
  });
});
