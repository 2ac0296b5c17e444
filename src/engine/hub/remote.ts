// What the hub knows about a repository: the commit a revision points to and the files at that commit (sizes, git
// ids and LFS sha256), through @huggingface/hub; and fetches of single files. HTTP failures become typed errors.
import { HubApiError, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { HubUnreachableError, RepoAccessError, RepoNotFoundError } from './errors.js';
import { formatRepoSpec } from './reference.js';
import { tokenFilePath, type HubSettings } from './settings.js';

export interface RepoTarget {
  repoId: string;
  revision: string;
  settings: HubSettings;
}

export function authHeaders(settings: HubSettings): Record<string, string> {
  return settings.token ? { authorization: `Bearer ${settings.token}` } : {};
}

export function resolveUrl(t: RepoTarget, commit: string, path: string): string {
  const file = path.split('/').map(encodeURIComponent).join('/');
  return `${t.settings.endpoint}/${t.repoId}/resolve/${encodeURIComponent(commit)}/${file}`;
}

/** Turns an HTTP status from the hub into the error a user can act on. */
export function statusError(t: RepoTarget, status: number, hubMessage?: string): Error {
  const spec = formatRepoSpec(t.repoId, t.revision);
  const page = `${t.settings.endpoint}/${t.repoId}`;
  if (status === 404) {
    return new RepoNotFoundError(`${spec}: not found on ${t.settings.endpoint}${hubMessage ? ` (${hubMessage})` : ''}: check the repository id and revision`);
  }
  if (status === 401 || status === 403) {
    return t.settings.token
      ? new RepoAccessError(`${spec}: the hub refused the token (HTTP ${status}): check HF_TOKEN (or ${tokenFilePath()}) and accept the model's terms at ${page}`)
      : new RepoAccessError(`${spec}: gated or private repository (HTTP ${status}): accept its terms at ${page}, then set HF_TOKEN=<your access token> (or log in with the hf CLI)`);
  }
  return new HubUnreachableError(`${spec}: the hub at ${t.settings.endpoint} answered HTTP ${status}${hubMessage ? ` (${hubMessage})` : ''}`);
}

/** A fetch that failed before any HTTP status (refused, DNS, reset): the cause's code names it. */
export function networkError(t: RepoTarget, err: unknown): HubUnreachableError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err as Error).message;
  const detail = `cannot reach the hub at ${t.settings.endpoint} (${why})`;
  return new HubUnreachableError(`${formatRepoSpec(t.repoId, t.revision)}: ${detail}`, detail);
}

async function hubCall<T>(t: RepoTarget, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HubApiError) {
      const data = err.data as { error?: unknown } | undefined;
      throw statusError(t, err.statusCode, typeof data?.error === 'string' ? data.error : undefined);
    }
    if (err instanceof TypeError) throw networkError(t, err);
    throw err;
  }
}

/** The commit a branch or tag points to now (a commit hash is checked to exist and returned). */
export async function resolveCommit(t: RepoTarget): Promise<string> {
  const info = await hubCall(t, () =>
    modelInfo({
      name: t.repoId,
      revision: t.revision,
      additionalFields: ['sha'],
      hubUrl: t.settings.endpoint,
      ...(t.settings.token ? { accessToken: t.settings.token } : {}),
    }),
  );
  const sha = (info as { sha?: unknown }).sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) {
    throw new HubUnreachableError(`${formatRepoSpec(t.repoId, t.revision)}: the hub at ${t.settings.endpoint} did not report a commit for this revision`);
  }
  return sha;
}

/** The top-level files at a commit (model files live at the top of a repository). */
export async function listRepoFiles(t: RepoTarget, commit: string): Promise<ListFileEntry[]> {
  return hubCall(t, async () => {
    const out: ListFileEntry[] = [];
    for await (const entry of listFiles({
      repo: { type: 'model', name: t.repoId },
      revision: commit,
      hubUrl: t.settings.endpoint,
      ...(t.settings.token ? { accessToken: t.settings.token } : {}),
    })) {
      if (entry.type === 'file') out.push(entry);
    }
    return out;
  });
}

/** A small file into memory (config.json, the weight index). */
export async function fetchSmallFile(t: RepoTarget, commit: string, path: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(resolveUrl(t, commit, path), { headers: authHeaders(t.settings) });
  } catch (err) {
    throw networkError(t, err);
  }
  if (!res.ok) throw statusError(t, res.status);
  return Buffer.from(await res.arrayBuffer());
}
