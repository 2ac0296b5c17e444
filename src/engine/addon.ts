// Locates and loads the compiled native addon once.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeAddon } from './native-types.js';
import { packageRoot } from './package-root.js';

let cached: NativeAddon | undefined;

export class NativeAddonMissingError extends Error {
  readonly userFacing = true;
  constructor(path: string) {
    super(`native engine not built (missing ${path}); run 'npm run build:native'`);
    this.name = 'NativeAddonMissingError';
  }
}

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const path = join(packageRoot(), 'build', 'Release', 'vmlx_native.node');
  if (!existsSync(path)) throw new NativeAddonMissingError(path);
  const require = createRequire(import.meta.url);
  cached = require(path) as NativeAddon;
  return cached;
}
