import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../../cli/node-version.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the Node version', () => {
  it('is refused below the floor, naming both versions', () => {
    expect(nodeVersionProblem('20.20.2')).toMatch(
      /^ordermanagement needs Node.js 24 or newer; this is Node.js 20.20.2 \(/,
    );
    expect(nodeVersionProblem('24.0.0')).toBeUndefined();
    expect(nodeVersionProblem('25.1.0')).toBeUndefined();
  });

  it('is the same in package.json engines, the image, .ci/run and the README', () => {
    expect(JSON.parse(read('package.json')).engines.node).toBe(`>=${MIN_NODE_MAJOR}`);
    expect(read('Dockerfile')).toMatch(new RegExp(`^FROM node:${MIN_NODE_MAJOR}-`, 'm'));
    expect(read('.ci/run')).toContain(`node@${MIN_NODE_MAJOR}`);
    expect(read('README.md')).toContain(`Node.js ${MIN_NODE_MAJOR}`);
  });
});
