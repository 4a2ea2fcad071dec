// Types of lint-boundaries.mjs (plain JavaScript, so eslint.config.js can load it).
import type { Linter } from 'eslint';

/** The production layers and the layers each may import. */
export declare const LAYERS: Readonly<Record<string, readonly string[]>>;
/** Every folder (layers, testkit, e2e, bench, scripts) and what it may import. */
export declare const ALLOWED: Readonly<Record<string, readonly string[]>>;
/** One ESLint config per folder with its no-restricted-imports patterns. */
export declare const boundaries: Linter.Config[];
