// Where the hub and the cache are, the token and offline mode: the environment variables the Python tools
// (huggingface_hub, mlx-lm, the hf CLI) read, with the same defaults, so all of them share one cache and one login.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { getHFHubCachePath, HUB_URL } from '@huggingface/hub';

export interface HubSettings {
  /** Base URL of the hub or a mirror (HF_ENDPOINT), without a trailing slash. */
  endpoint: string;
  /** The hub cache directory: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir: string;
  token: string | undefined;
  offline: boolean;
}

type Env = Record<string, string | undefined>;

const TRUE_VALUES = new Set(['1', 'true', 'yes', 'on']);

export function envFlag(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toLowerCase());
}

function hfHome(env: Env): string {
  return env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
}

/** HF_TOKEN, else the file `hf auth login` writes (HF_TOKEN_PATH, else HF_HOME/token). */
export function readToken(env: Env = process.env): string | undefined {
  const fromEnv = env.HF_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = env.HF_TOKEN_PATH ?? join(hfHome(env), 'token');
  if (!existsSync(file)) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  return token === '' ? undefined : token;
}

export function tokenFilePath(env: Env = process.env): string {
  return env.HF_TOKEN_PATH ?? join(hfHome(env), 'token');
}

export function hubSettings(opts: { offline?: boolean } = {}, env: Env = process.env): HubSettings {
  // getHFHubCachePath reads process.env; an explicit env (tests) gets the same precedence here.
  const cacheDir =
    env === process.env ? getHFHubCachePath() : (env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(hfHome(env), 'hub'));
  return {
    endpoint: (env.HF_ENDPOINT?.trim() || HUB_URL).replace(/\/+$/, ''),
    cacheDir,
    token: readToken(env),
    offline: opts.offline === true || envFlag(env.HF_HUB_OFFLINE),
  };
}
