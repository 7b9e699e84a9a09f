import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectionFilePath,
  ConnectionFileError,
  parseConnectionInfo,
  readConnectionFile
} from '../connectionFile';

const sample = {
  ssh: '',
  interface: 'tcp://127.0.0.1',
  registration: 34267,
  control: 52667,
  mux: 45999,
  task: 46637,
  task_scheme: 'leastload',
  iopub: 60799,
  notification: 44915,
  broadcast: 59703,
  key: '4a2535c5-e6f836912bce58094fb41eb9',
  curve_serverkey: null,
  location: 'vm',
  pack: 'json',
  unpack: 'json',
  signature_scheme: 'hmac-sha256'
};

describe('connection files', () => {
  it('turns interface and ports of an ipyparallel 9 client file into URLs', () => {
    const info = parseConnectionInfo(sample);
    expect(info.urls.registration).toBe('tcp://127.0.0.1:34267');
    expect(info.urls.broadcast).toBe('tcp://127.0.0.1:59703');
    expect(info.key).toBe(sample.key);
    expect(info.curveServerKey).toBeNull();
  });

  it.each(['tcp://*', 'tcp://0.0.0.0'])(
    'reaches a controller listening on %s over loopback',
    iface => {
      expect(parseConnectionInfo({ ...sample, interface: iface }).urls.mux).toBe(
        'tcp://127.0.0.1:45999'
      );
    }
  );

  it('keeps a CURVE server key', () => {
    const key = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
    expect(parseConnectionInfo({ ...sample, curve_serverkey: key }).curveServerKey).toBe(key);
  });

  it.each([
    [{ ...sample, key: undefined }, /no 'key'/],
    [{ ...sample, mux: undefined }, /no port for 'mux'/],
    [{ ...sample, interface: '127.0.0.1' }, /interface/],
    [{ ...sample, unpack: 'pickle' }, /only json/],
    [{ ...sample, signature_scheme: 'md5' }, /signature_scheme/],
    [[1, 2], /not a JSON object/]
  ])('says what is wrong with a file that is not a client file (%#)', (data, why) => {
    expect(() => parseConnectionInfo(data)).toThrow(why);
  });

  it('finds the file of a profile and cluster id as ipyparallel does', () => {
    expect(connectionFilePath({ ipythonDir: '/ip', profile: 'p', clusterId: 'c1' })).toBe(
      '/ip/profile_p/security/ipcontroller-c1-client.json'
    );
    expect(connectionFilePath({ profileDir: '/pd' })).toBe('/pd/security/ipcontroller-client.json');
  });

  it('reads a file by profile, and names the path when it is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-'));
    mkdirSync(join(dir, 'profile_default', 'security'), { recursive: true });
    const path = join(dir, 'profile_default', 'security', 'ipcontroller-client.json');
    writeFileSync(path, JSON.stringify(sample));
    expect(readConnectionFile({ ipythonDir: dir }).path).toBe(path);
    expect(() => readConnectionFile({ path: join(dir, 'nope.json') })).toThrow(ConnectionFileError);
    expect(() => readConnectionFile({ path: join(dir, 'nope.json') })).toThrow(
      /nope\.json not found/
    );
    writeFileSync(path, '{');
    expect(() => readConnectionFile({ path })).toThrow(/is not JSON/);
  });
});
