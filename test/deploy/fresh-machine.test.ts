import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { artifactPath } from '../helpers/artifacts.ts';
import { copyCheckout, missingPrerequisite, mustRun, PODMAN_ENV, podman, ROOT } from '../helpers/containers.ts';
import { waitFor } from '../helpers/wait.ts';

// The README's quick start on a fresh Debian 12 machine: a container of Debian's minimal base (no
// Node, no npm, no Redis; built by deploy/podman/base-images.sh) runs the one command the README
// gives, `bash .ci/run demo`, in a copy of the checkout, and the demo must settle its orders.
const DEBIAN = 'localhost/ordermanagement-debian:bookworm-minbase';
/** The host's CA bundle: this machine reaches the npm registry through TLS only the host trusts. */
const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';

describe('a fresh Debian machine', () => {
  it('runs the demo with the one command of the quick start, installing Node 24 and Redis', async () => {
    expect(await missingPrerequisite()).toBeUndefined();
    await mustRun('bash', [`${ROOT}deploy/podman/base-images.sh`], { timeoutMs: 900_000 });
    expect(existsSync(HOST_CA), HOST_CA).toBe(true);
    const checkout = copyCheckout();
    onTestFinished(() => rmSync(dirname(checkout), { recursive: true, force: true }));
    const name = `omfresh${process.pid}`;
    const started = performance.now();
    const child = spawn(
      'podman',
      [
        'run',
        '--rm',
        '--name',
        name,
        '--network=host',
        '-v',
        `${checkout}:/root/ordermanagement`,
        '-v',
        `${HOST_CA}:/usr/local/share/host-ca.crt:ro`,
        '-e',
        'NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca.crt',
        '-w',
        '/root/ordermanagement',
        DEBIAN,
        'bash',
        '.ci/run',
        'demo',
      ],
      { env: PODMAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    onTestFinished(async () => {
      await podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
      await exited;
      writeFileSync(artifactPath('fresh-machine.log'), output);
    });
    const done = await waitFor(
      'the demo to settle its orders',
      () => /Done in [\d.]+s: [^\n]*/.exec(output) ?? undefined,
      {
        timeoutMs: 1_500_000,
        intervalMs: 1000,
      },
    );
    const seconds = Math.round((performance.now() - started) / 1000);
    writeFileSync(
      artifactPath('fresh-machine.json'),
      `${JSON.stringify({ demoSettledAfterSeconds: seconds }, null, 2)}\n`,
    );
    expect(output).toContain('ci: installing');
    expect(output).toMatch(/ci: node v24\./);
    expect(Number(/(\d+) shipped/.exec(done[0])?.[1])).toBeGreaterThan(0);
  }, 1_800_000);
});
