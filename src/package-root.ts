/** The package's root directory, found from this file whether it runs from src/ (tests) or dist/src/. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

function findRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'shadowgate') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`shadowgate: package.json not found above ${__dirname}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();
