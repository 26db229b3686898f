/**
 * The Node.js this project runs on (package.json `engines`, the image, the README). Checked before
 * anything else is loaded: on an older Node its dependencies fail with errors that do not name Node.
 */
export const MIN_NODE_MAJOR = 24;

/** Why this Node cannot run ordermanagement, or undefined. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  return major >= MIN_NODE_MAJOR
    ? undefined
    : `ordermanagement needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node.js ${version} (${process.execPath})`;
}
