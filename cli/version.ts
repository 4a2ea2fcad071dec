// The version `highlander --version` prints: the package's, read from package.json at run time.
import { existsSync, readFileSync } from 'node:fs';

/** The `version` of the nearest package.json above `from` (this module by default). */
export function packageVersion(from: string | URL = import.meta.url): string {
  // Searched upwards, not at a fixed `../package.json`: this module runs from cli/ (the sources)
  // and from dist/cli/ (the build), one level deeper, and both must find the package's file.
  for (let dir = new URL('./', from); ; dir = new URL('../', dir)) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) {
      const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
      if (typeof version !== 'string') throw new Error(`${file.pathname}: no version`);
      return version;
    }
    if (dir.pathname === '/') throw new Error(`no package.json above ${String(from)}`);
  }
}
