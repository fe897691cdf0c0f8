import { fileURLToPath } from 'node:url';

/** The repository root: the Docker build context of the router image and the project root of the Lambda bundles. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
