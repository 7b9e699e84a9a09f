import { createConnection } from 'node:net';

/**
 * Whether something accepts a TCP connection at a tcp:// URL (null for
 * other transports, or when it takes more than a second to tell).
 */
export function acceptsConnections(url: string): Promise<boolean | null> {
  const match = /^tcp:\/\/(.+):(\d+)$/.exec(url);
  if (!match) {
    return Promise.resolve(null);
  }
  const host = match[1].replace(/^\[(.*)\]$/, '$1');
  return new Promise(resolve => {
    const socket = createConnection({
      host: host === '*' ? '127.0.0.1' : host,
      port: Number(match[2])
    });
    const done = (answer: boolean | null) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(null));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Why the controller did not answer our first request, as far as we can tell. */
export function whyNoAnswer(
  file: string,
  url: string,
  timeout: number,
  seen: { accepted: boolean | null; refused: number; why: string }
): string {
  if (seen.refused > 0) {
    return `the controller at ${url} answers, but ${seen.refused} of its replies were refused (${seen.why}): the key in ${file} is not the controller's`;
  }
  if (seen.accepted) {
    // a controller drops requests signed with another key without a word
    return `no answer from the controller at ${url} in ${timeout} s (from ${file}), though it accepts connections: either the key in ${file} is not the controller's, or the controller hangs`;
  }
  if (seen.accepted === false) {
    return `no answer from the controller at ${url} in ${timeout} s (from ${file}): nothing accepts connections there; is it running?`;
  }
  return `no answer from the controller at ${url} in ${timeout} s (from ${file}): is it running, and is the key right?`;
}
