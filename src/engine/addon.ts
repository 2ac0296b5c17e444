// Locates and loads the compiled native addon once.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './native-types.js';

let cached: NativeAddon | undefined;

function projectRoot(): string {
  // dist/src/engine/addon.js → project root is three levels up from dist/src/engine
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('vmlx: cannot locate the package root');
}

export class NativeAddonMissingError extends Error {
  readonly userFacing = true;
  constructor(path: string) {
    super(`native engine not built (missing ${path}); run 'npm run build:native'`);
    this.name = 'NativeAddonMissingError';
  }
}

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const path = join(projectRoot(), 'build', 'Release', 'vmlx_native.node');
  if (!existsSync(path)) throw new NativeAddonMissingError(path);
  const require = createRequire(import.meta.url);
  cached = require(path) as NativeAddon;
  return cached;
}
