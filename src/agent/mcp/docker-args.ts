// docker run/create/exec options that hand a container the host: host mounts of system directories or the
// Docker socket, devices, privileged mode, host namespaces, added capabilities. Parsed the way docker (pflag)
// does, so -itv/:/host, -v=/:/host and --volume /:/host are one and the same mount.
import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { parseOptions, spec, type ParsedOption } from './argv.js';

export interface DockerFinding {
  rule: 'dangerous_docker';
  detail: string;
}

// docker's global options (before the subcommand).
const GLOBAL = spec('cHl', ['config', 'context', 'host', 'log-level', 'tlscacert', 'tlscert', 'tlskey'], ['debug', 'tls', 'tlsverify', 'version', 'help']);

// run/create/exec: every long option takes a value except these booleans (pflag booleans take only '=value').
const RUN_BOOLS = [
  'detach', 'interactive', 'tty', 'rm', 'init', 'privileged', 'read-only', 'publish-all', 'no-healthcheck',
  'oom-kill-disable', 'sig-proxy', 'disable-content-trust', 'help', 'quiet', 'use-api-socket',
];
const RUN_LONG_VALUES = ['volume', 'mount', 'device', 'network', 'net', 'pid', 'ipc', 'uts', 'userns', 'cgroupns', 'cap-add', 'security-opt', 'volumes-from', 'env', 'name', 'user', 'workdir', 'entrypoint', 'label', 'publish', 'platform', 'pull'];
const RUN = spec('acehlmpuvw', RUN_LONG_VALUES, RUN_BOOLS);

/**
 * Host paths whose mount gives a container root on the host (or the host's secrets): the root itself, system
 * configuration, the Docker and other daemons' sockets, root's home, kernel interfaces, devices, binaries.
 */
const HOST_ROOT_DIRS = ['/etc', '/var/run', '/run', '/root', '/proc', '/sys', '/dev', '/boot', '/var/lib/docker', '/usr', '/bin', '/sbin', '/lib', '/lib64', '/private/etc', '/private/var/run'];

/** Normalises a host path as the kernel would read it ('//etc/./' is '/etc'); lower case, for case-insensitive filesystems. */
function normalHostPath(p: string): string {
  const n = posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '');
  return (n === '' ? '/' : n).toLowerCase();
}

/** Why mounting `source` is refused, or undefined for a named volume or an ordinary directory. */
export function dangerousHostPath(source: string): string | undefined {
  if (!source.startsWith('/') && !source.startsWith('\\')) return undefined; // a named volume
  const forms = [normalHostPath(source)];
  try {
    forms.push(normalHostPath(realpathSync(source))); // a symlink to /etc is /etc
  } catch {
    /* does not exist here: judged by its name */
  }
  for (const p of forms) {
    if (p === '/') return "the host's root directory";
    if (/(^|\/)docker\.sock$/.test(p) || /\.sock$/.test(p)) return 'a daemon socket (the Docker socket controls the host)';
    const dir = HOST_ROOT_DIRS.find((d) => p === d || p.startsWith(`${d}/`));
    if (dir) return `the host's ${dir}`;
  }
  return undefined;
}

const NAMESPACES = new Set(['pid', 'ipc', 'uts', 'userns', 'cgroupns', 'network', 'net']);
const PFLAG_FALSE = /^(false|f|0)$/i;

function mountSources(o: ParsedOption): string[] {
  const v = o.value ?? '';
  if (o.name === 'mount') {
    // CSV of key=value; a bind's source, or a local-driver volume's device=... that binds a host path.
    return v
      .split(',')
      .map((kv) => kv.trim().replace(/^"|"$/g, ''))
      .flatMap((kv) => {
        const m = /^(?:source|src|volume-opt=device|device)=(.*)$/i.exec(kv);
        return m ? [m[1]!] : [];
      });
  }
  return [v.split(':')[0] ?? ''];
}

function checkRunOption(o: ParsedOption, sub: string): string | undefined {
  const shown = `'${o.raw}'`;
  if (o.name === 'privileged') return o.value !== undefined && PFLAG_FALSE.test(o.value) ? undefined : `${shown} (full access to the host)`;
  if (o.name === 'use-api-socket') return o.value !== undefined && PFLAG_FALSE.test(o.value) ? undefined : `${shown} (the Docker API socket controls the host)`;
  if (sub === 'exec') return undefined; // exec takes no mounts or namespaces; only --privileged matters
  if (o.name === 'v' || o.name === 'volume' || o.name === 'mount') {
    for (const src of mountSources(o)) {
      const why = dangerousHostPath(src);
      if (why) return `${shown} (mounts ${why})`;
    }
  }
  if (o.name === 'volumes-from') return `${shown} (mounts whatever another container mounts)`;
  if (o.name === 'device' || o.name === 'device-cgroup-rule') return `${shown} (gives the container a host device)`;
  if (NAMESPACES.has(o.name) && (o.value ?? '').toLowerCase() === 'host') return `${shown} (shares the host's ${o.name === 'net' ? 'network' : o.name} namespace)`;
  if (o.name === 'cap-add') return `${shown} (adds kernel capabilities)`;
  if (o.name === 'security-opt' && /unconfined|label[:=]disable|no-new-privileges[:=]false/i.test(o.value ?? '')) return `${shown} (turns off confinement)`;
  return undefined;
}

/** Inspects a docker command line; undefined when it starts no container with host access. */
export function scanDocker(args: readonly string[]): DockerFinding | undefined {
  const global = parseOptions(args, GLOBAL);
  let at = global.positional;
  let sub = args[at];
  if (sub === 'container') sub = args[++at];
  if (sub !== 'run' && sub !== 'create' && sub !== 'exec') return undefined;
  const parsed = parseOptions(args, RUN, at + 1);
  for (const o of parsed.options) {
    const why = checkRunOption(o, sub);
    if (why) return { rule: 'dangerous_docker', detail: `'docker ${sub}' with ${why}` };
  }
  return undefined;
}
