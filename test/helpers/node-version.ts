import { nodeVersionProblem } from '../../cli/node-version.ts';

/**
 * The suite's first global setup: on an older Node the dependencies fail with errors that do not name
 * Node (undici: "Cannot read properties of undefined (reading 'bind')"); say which Node is needed instead.
 */
export default function setup(): void {
  const problem = nodeVersionProblem();
  if (problem !== undefined) throw new Error(`${problem}. Put Node 24 first on PATH (see README, Tests).`);
}
