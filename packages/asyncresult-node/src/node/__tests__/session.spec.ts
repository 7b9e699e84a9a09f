import { createHmac } from 'node:crypto';
import { DELIMITER, Session } from '../session';

describe('Session', () => {
  const key = 'a0436f6c-1916-498b-8eb9-e81ab9368e84';
  const session = () => new Session({ key });

  it('frames a message as idents, <IDS|MSG>, signature, four JSON parts and buffers', () => {
    const s = session();
    const m = s.message(
      'execute_request',
      { code: 'x = 1' },
      { metadata: { label: 'l' }, buffers: [Buffer.from('b')] }
    );
    const frames = s.serialize(m, [Buffer.from('engine-uuid')]);
    expect(frames[0].toString()).toBe('engine-uuid');
    expect(frames[1].equals(DELIMITER)).toBe(true);
    expect(JSON.parse(frames[3].toString()).msg_type).toBe('execute_request');
    expect(JSON.parse(frames[5].toString())).toEqual({ label: 'l' });
    expect(JSON.parse(frames[6].toString())).toEqual({ code: 'x = 1' });
    expect(frames[7].toString()).toBe('b');
  });

  it('signs the four JSON frames with lowercase hex HMAC-SHA256 of the key as UTF-8, not the buffers', () => {
    const s = session();
    const frames = s.serialize(
      s.message('queue_request', { targets: null }, { buffers: [Buffer.from('x')] })
    );
    const hmac = createHmac('sha256', Buffer.from(key, 'utf8'));
    frames.slice(2, 6).forEach(f => hmac.update(f));
    expect(frames[1].toString()).toBe(hmac.digest('hex'));
  });

  it('gives every message a unique msg_id and a header ipyparallel 9 accepts', () => {
    const s = session();
    const a = s.message('a').header;
    const b = s.message('b').header;
    expect(a.msg_id).not.toBe(b.msg_id);
    expect(a.session).toBe(s.session);
    expect(a.version).toBe('5.4');
    expect(Number.isNaN(Date.parse(a.date))).toBe(false);
  });

  it('reads back what a peer with the same key sent, idents apart', () => {
    const peer = session();
    const frames = peer.serialize(peer.message('execute_reply', { status: 'ok' }), [
      Buffer.from('e1')
    ]);
    const { idents, message } = session().deserialize(frames);
    expect(idents.map(String)).toEqual(['e1']);
    expect(message.content).toEqual({ status: 'ok' });
  });

  it('verifies the bytes as received: JSON the sender spaced differently still checks', () => {
    // Python's json.dumps puts spaces after separators; re-serialising would change the bytes
    const parts = [
      '{"msg_id": "1", "msg_type": "status"}',
      '{}',
      '{}',
      '{"execution_state": "idle"}'
    ].map(p => Buffer.from(p));
    const signature = session().sign(parts);
    const { message } = session().deserialize([DELIMITER, signature, ...parts]);
    expect(message.content.execution_state).toBe('idle');
  });

  it('rejects a tampered content frame', () => {
    const s = session();
    const frames = s.serialize(s.message('execute_reply', { status: 'ok' }));
    frames[5] = Buffer.from('{"status": "error"}');
    expect(() => session().deserialize(frames)).toThrow(/invalid signature/);
  });

  it('rejects a tampered signature', () => {
    const s = session();
    const frames = s.serialize(s.message('execute_reply', { status: 'ok' }));
    const sig = frames[1].toString();
    frames[1] = Buffer.from((sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
    expect(() => session().deserialize(frames)).toThrow(/invalid signature/);
  });

  it('rejects an unsigned message when it has a key', () => {
    const s = session();
    const frames = s.serialize(s.message('execute_reply', {}));
    frames[1] = Buffer.alloc(0);
    expect(() => session().deserialize(frames)).toThrow(/unsigned/);
  });

  it('rejects a message signed with another key', () => {
    const other = new Session({ key: 'not-the-key' });
    expect(() => session().deserialize(other.serialize(other.message('x')))).toThrow(
      /invalid signature/
    );
  });

  it('rejects a replayed message, but a forged copy does not poison the real one', () => {
    const s = session();
    const receiver = session();
    const frames = s.serialize(s.message('execute_reply', {}));
    const forged = [...frames];
    forged[5] = Buffer.from('{"forged": true}');
    expect(() => receiver.deserialize(forged)).toThrow(/invalid signature/);
    receiver.deserialize(frames);
    expect(() => receiver.deserialize(frames)).toThrow(/duplicate/);
  });

  it('rejects frames without a delimiter or with too few parts', () => {
    expect(() => session().deserialize([Buffer.from('x')])).toThrow(/delimiter/);
    expect(() => session().deserialize([DELIMITER, Buffer.from('sig')])).toThrow(/malformed/);
  });

  it('sends and accepts unsigned messages when the key is empty, as jupyter_client does', () => {
    const s = new Session({ key: '' });
    const frames = s.serialize(s.message('x'));
    expect(frames[1].length).toBe(0);
    expect(new Session({ key: '' }).deserialize(frames).message.header.msg_type).toBe('x');
  });

  it('refuses a signature scheme that is not hmac', () => {
    expect(() => new Session({ key, signatureScheme: 'rsa' })).toThrow(/hmac/);
  });
});
