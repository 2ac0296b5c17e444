// A Hugging Face hub emulator on 127.0.0.1 for tests (no test reaches the network). It answers what the real hub
// answers where vmlx depends on it: model info with the commit sha, the tree listing (sizes, git ids, LFS sha256),
// resolve/{rev}/{file} with ETag and X-Repo-Commit and a 302 to the LFS store for large files, Range requests,
// 401 for a gated repository without the token, 404 for unknown repositories and revisions. Faults on request:
// a connection dropped after N bytes, a corrupted body.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface EmulatedRepo {
  id: string;
  /** Gated or private: every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Branch and tag names → commit. */
  refs: Record<string, string>;
  /** commit → files (path → contents). */
  commits: Record<string, Map<string, Buffer>>;
}

export interface RequestRecord {
  method: string;
  path: string;
  range?: string;
  authorized: boolean;
}

export interface Faults {
  /** File path → the number of body bytes after which the next LFS download of it is cut off (once each). */
  dropAfter: Map<string, number>;
  /** File paths whose LFS downloads serve one flipped byte (every time). */
  corrupt: Set<string>;
  /** 'org/name/path' → the size the tree listing claims (to test the free-space check without gigabytes). */
  claimSize: Map<string, number>;
}

const isLfs = (path: string, size: number) => /\.(safetensors|gguf|bin)$/.test(path) || size > 1_000_000;
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const gitBlobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export function commitId(files: Map<string, Buffer>, salt = ''): string {
  const h = createHash('sha1').update(salt);
  for (const [p, b] of [...files].sort(([a], [b]) => a.localeCompare(b))) h.update(p).update(gitBlobId(b));
  return h.digest('hex');
}

/** Every top-level file of a directory (a generated test model). */
export function readDirFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) {
    if (statSync(join(dir, name)).isFile()) files.set(name, readFileSync(join(dir, name)));
  }
  return files;
}

/** A repository with one commit on `main`. */
export function singleCommitRepo(id: string, files: Map<string, Buffer>, token?: string): EmulatedRepo {
  const commit = commitId(files, id);
  return { id, refs: { main: commit }, commits: { [commit]: files }, ...(token ? { token } : {}) };
}

export class HubEmulator {
  readonly repos = new Map<string, EmulatedRepo>();
  readonly requests: RequestRecord[] = [];
  readonly faults: Faults = { dropAfter: new Map(), corrupt: new Set(), claimSize: new Map() };
  private readonly requestWaiters = new Set<() => void>();
  private readonly holds = new Map<string, { reached: () => void; released: Promise<void> }>();
  private readonly lfs = new Map<string, { path: string; bytes: Buffer; repo: EmulatedRepo }>();
  private server: Server | undefined;
  url = '';

  addRepo(repo: EmulatedRepo): EmulatedRepo {
    this.repos.set(repo.id, repo);
    for (const files of Object.values(repo.commits)) {
      for (const [path, bytes] of files) if (isLfs(path, bytes.length)) this.lfs.set(sha256(bytes), { path, bytes, repo });
    }
    return repo;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * The next LFS download of `path` sends half the file and then waits for release(): `reached` resolves when a
   * client is at that point (so a test can start a second client while the first is mid-download).
   */
  hold(path: string): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    const released = new Promise<void>((r) => (release = r));
    this.holds.set(path, { reached, released });
    return { reached: reachedP, release };
  }

  /** Resolves once a request matching `pred` has arrived (at once if one already has). */
  waitForRequest(pred: (r: RequestRecord) => boolean): Promise<RequestRecord> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.requests.find(pred);
        if (!found) return;
        this.requestWaiters.delete(check);
        resolve(found);
      };
      this.requestWaiters.add(check);
      check();
    });
  }

  /** Full (not ranged) GETs of a file's LFS contents so far. */
  lfsDownloads(path: string): RequestRecord[] {
    return this.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/_lfs/') && r.path.endsWith(`/${path}`));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const path = decodeURIComponent(url.pathname);
    const auth = req.headers.authorization;
    const record: RequestRecord = { method: req.method ?? 'GET', path, authorized: auth !== undefined };
    if (req.headers.range) record.range = req.headers.range;
    this.requests.push(record);
    for (const w of [...this.requestWaiters]) w();
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree|paths-info)\/(.+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const lfs = /^\/_lfs\/([0-9a-f]{64})\/(.+)$/.exec(path);
    const repoId = api?.[1] ?? resolve?.[1] ?? (lfs ? this.lfs.get(lfs[1]!)?.repo.id : undefined);
    const repo = repoId ? this.repos.get(repoId) : undefined;
    if (!repo) return json(res, 404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
    if (repo.token && auth !== `Bearer ${repo.token}`) {
      return json(res, 401, { error: `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it.` }, { 'x-error-code': 'GatedRepo' });
    }
    if (lfs) return this.serveLfs(req, res, lfs[1]!);
    const rev = api?.[3] ?? resolve![2]!;
    const commit = repo.commits[rev] ? rev : repo.refs[rev];
    const files = commit ? repo.commits[commit] : undefined;
    if (!commit || !files) return json(res, 404, { error: `Invalid rev id: ${rev}` }, { 'x-error-code': 'RevisionNotFound' });
    if (api?.[2] === 'revision') {
      const siblings = [...files.keys()].map((rfilename) => ({ rfilename }));
      return json(res, 200, { _id: repo.id, id: repo.id, sha: commit, private: false, gated: repo.token ? 'manual' : false, downloads: 0, likes: 0, lastModified: '2026-01-01T00:00:00.000Z', siblings });
    }
    if (api?.[2] === 'tree' || api?.[2] === 'paths-info') {
      const entries = [...files].map(([p, b]) => {
        const size = this.faults.claimSize.get(`${repo.id}/${p}`) ?? b.length;
        const lfsFile = isLfs(p, b.length);
        return {
          type: 'file',
          path: p,
          size,
          oid: lfsFile ? gitBlobId(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(b)}\nsize ${size}\n`)) : gitBlobId(b),
          ...(lfsFile ? { lfs: { oid: sha256(b), size, pointerSize: 130 } } : {}),
          lastCommit: { id: commit, title: 'upload', date: '2026-01-01T00:00:00.000Z' },
        };
      });
      if (api[2] === 'tree') return json(res, 200, entries);
      // paths-info (what @huggingface/hub's downloadFileToCacheDir asks): a POST naming the paths.
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const wanted = new Set<string>((JSON.parse(body || '{}') as { paths?: string[] }).paths ?? []);
        json(res, 200, entries.filter((e) => wanted.has(e.path)));
      });
      return;
    }
    const file = resolve![3]!;
    const bytes = files.get(file);
    if (!bytes) return json(res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
    if (isLfs(file, bytes.length)) {
      res.writeHead(302, {
        location: `/_lfs/${sha256(bytes)}/${file}`,
        'x-repo-commit': commit,
        'x-linked-etag': `"${sha256(bytes)}"`,
        'x-linked-size': String(bytes.length),
        etag: `"${gitBlobId(bytes)}"`,
      });
      return void res.end();
    }
    sendRange(req, res, bytes, { etag: `"${gitBlobId(bytes)}"`, 'x-repo-commit': commit });
  }

  private serveLfs(req: IncomingMessage, res: ServerResponse, sha: string): void {
    const { path, bytes: original } = this.lfs.get(sha)!;
    let bytes = original;
    if (this.faults.corrupt.has(path)) {
      bytes = Buffer.from(original);
      bytes[bytes.length >> 1] ^= 0xff;
    }
    const hold = this.holds.get(path);
    if (hold && req.method === 'GET' && !req.headers.range) {
      this.holds.delete(path);
      res.writeHead(200, { etag: `"${sha}"`, 'content-length': String(bytes.length) });
      res.write(bytes.subarray(0, bytes.length >> 1), () => hold.reached());
      void hold.released.then(() => res.end(bytes.subarray(bytes.length >> 1)));
      return;
    }
    const drop = this.faults.dropAfter.get(path);
    if (drop !== undefined && !req.headers.range?.startsWith('bytes=0-0')) this.faults.dropAfter.delete(path);
    sendRange(req, res, bytes, { etag: `"${sha}"` }, drop);
  }
}

/** A body honouring `Range: bytes=a-[b]` (206 / 416); with dropAfter, the connection is cut after that many bytes. */
function sendRange(req: IncomingMessage, res: ServerResponse, bytes: Buffer, headers: Record<string, string>, dropAfter?: number): void {
  let start = 0;
  let end = bytes.length - 1;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    if (range[2]) end = Math.min(end, Number(range[2]));
    if (start >= bytes.length) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
      return void res.end();
    }
  }
  const body = bytes.subarray(start, end + 1);
  const all = { ...headers, 'content-length': String(body.length), 'accept-ranges': 'bytes' };
  if (range) res.writeHead(206, { ...all, 'content-range': `bytes ${start}-${end}/${bytes.length}` });
  else res.writeHead(200, all);
  if (req.method === 'HEAD') return void res.end();
  if (dropAfter !== undefined && !range?.[2]) {
    // Send the first bytes, then cut the connection while the client still expects the rest.
    res.write(body.subarray(0, dropAfter), () => res.socket?.destroy());
    return;
  }
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
