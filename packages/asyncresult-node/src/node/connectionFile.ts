import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The controller's channels a client connects to. */
export type Channel =
  | 'registration'
  | 'control'
  | 'mux'
  | 'task'
  | 'iopub'
  | 'notification'
  | 'broadcast';

/** Every channel of a client connection file. */
export const CHANNELS: ReadonlyArray<Channel> = [
  'registration',
  'control',
  'mux',
  'task',
  'iopub',
  'notification',
  'broadcast'
];

/** What a client needs from `ipcontroller-client.json`, with full URLs. */
export interface IConnectionInfo {
  /** Where it was read from, for messages to the user. */
  path: string;
  urls: Record<Channel, string>;
  key: string;
  signatureScheme: string;
  taskScheme: string;
  /** The controller's CURVE public key (Z85), when it requires CURVE. */
  curveServerKey: string | null;
}

/** Where to find a connection file: a path, or a profile like ipyparallel's Client. */
export interface IConnectionFileOptions {
  /** A path to `ipcontroller-client.json` (wins over the rest). */
  path?: string;
  /** Profile name (default 'default'). */
  profile?: string;
  /** A profile directory (wins over `profile`). */
  profileDir?: string;
  /** The cluster id: `ipcontroller-<id>-client.json`. */
  clusterId?: string;
  /** IPython's directory (default $IPYTHONDIR, else ~/.ipython). */
  ipythonDir?: string;
}

/** A connection file that is missing, unreadable or not a client file. */
export class ConnectionFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionFileError';
  }
}

/** The path of the client connection file the options name. */
export function connectionFilePath(options: IConnectionFileOptions = {}): string {
  if (options.path) {
    return options.path;
  }
  const ipythonDir = options.ipythonDir ?? process.env.IPYTHONDIR ?? join(homedir(), '.ipython');
  const profileDir =
    options.profileDir ?? join(ipythonDir, `profile_${options.profile ?? 'default'}`);
  const name = options.clusterId
    ? `ipcontroller-${options.clusterId}-client.json`
    : 'ipcontroller-client.json';
  return join(profileDir, 'security', name);
}

/** Read and check a client connection file. */
export function readConnectionFile(options: IConnectionFileOptions = {}): IConnectionInfo {
  const path = connectionFilePath(options);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (reason) {
    const code = (reason as NodeJS.ErrnoException).code;
    throw new ConnectionFileError(
      code === 'ENOENT'
        ? `connection file ${path} not found: is a controller running (with this profile and cluster id)?`
        : `cannot read connection file ${path}: ${(reason as Error).message}`
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (reason) {
    throw new ConnectionFileError(
      `connection file ${path} is not JSON: ${(reason as Error).message}`
    );
  }
  return parseConnectionInfo(data, path);
}

/**
 * Check the JSON of a client connection file and turn interface + ports into
 * URLs; a listening interface (`*`, `0.0.0.0`) is reached on loopback.
 */
export function parseConnectionInfo(data: unknown, path = '<connection info>'): IConnectionInfo {
  const fail = (what: string) =>
    new ConnectionFileError(`connection file ${path} is not an ipyparallel client file: ${what}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw fail('not a JSON object');
  }
  const cfg = data as Record<string, unknown>;
  if (typeof cfg.interface !== 'string' || !cfg.interface.includes('://')) {
    throw fail("no 'interface' like tcp://127.0.0.1");
  }
  if (typeof cfg.key !== 'string') {
    throw fail("no 'key'");
  }
  const scheme = cfg.signature_scheme ?? 'hmac-sha256';
  if (typeof scheme !== 'string' || !/^hmac-sha(1|224|256|384|512)$/.test(scheme)) {
    throw fail(`unsupported signature_scheme ${JSON.stringify(scheme)}`);
  }
  for (const key of ['pack', 'unpack']) {
    if (cfg[key] !== undefined && cfg[key] !== 'json') {
      throw fail(`${key} is ${JSON.stringify(cfg[key])}; only json is supported`);
    }
  }
  const base = Private.reachable(cfg.interface);
  const urls = {} as Record<Channel, string>;
  for (const channel of CHANNELS) {
    const port = cfg[channel];
    if (!Number.isInteger(port) || (port as number) <= 0 || (port as number) > 65535) {
      throw fail(`no port for '${channel}'`);
    }
    urls[channel] = `${base}:${port}`;
  }
  const serverKey = cfg.curve_serverkey || process.env.IPP_CURVE_SERVERKEY || null;
  if (serverKey !== null && (typeof serverKey !== 'string' || serverKey.length !== 40)) {
    throw fail('curve_serverkey is not a 40-character Z85 key');
  }
  return {
    path,
    urls,
    key: cfg.key,
    signatureScheme: scheme,
    taskScheme: typeof cfg.task_scheme === 'string' ? cfg.task_scheme : 'leastload',
    curveServerKey: serverKey
  };
}

namespace Private {
  /** The interface to connect to for one the controller listens on. */
  export function reachable(iface: string): string {
    const [proto, addr] = iface.split('://');
    if (proto !== 'tcp') {
      return iface; // ipc:// and friends are paths, used as they are
    }
    if (addr === '*' || addr === '0.0.0.0') {
      return 'tcp://127.0.0.1';
    }
    if (addr === '::' || addr === '[::]') {
      return 'tcp://[::1]';
    }
    return iface;
  }
}
