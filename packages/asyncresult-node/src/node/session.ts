import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The frame that separates routing identities from a Jupyter message. */
export const DELIMITER = Buffer.from('<IDS|MSG>');

/** The message protocol version in our headers: jupyter_client 8's, which ipyparallel 9 sends. */
export const JUPYTER_PROTOCOL_VERSION = '5.4';

/**
 * Jupyter message framing and signing, as jupyter_client's Session does it
 * for the controller: JSON frames, HMAC over the four JSON frames' raw
 * bytes, and rejection of unsigned, badly signed and replayed messages.
 */
export class Session {
  constructor(options: Session.IOptions) {
    const scheme = options.signatureScheme ?? 'hmac-sha256';
    const match = /^hmac-(.+)$/.exec(scheme);
    if (!match) {
      throw new Error(`signature_scheme must start with 'hmac-', got ${scheme}`);
    }
    this._digest = match[1];
    this._key = Buffer.from(options.key, 'utf8');
    // a key of '' means "unsigned", as in jupyter_client
    this._signs = this._key.length > 0;
    this.session = options.session ?? Private.newId();
    this.username = options.username ?? 'node';
    this._idPrefix = `${this.session}_${process.pid}_`;
  }

  /** This client's session id: the controller sends our iopub under it. */
  readonly session: string;

  /** The user name put in every header. */
  readonly username: string;

  /** A new message, ready to serialize. */
  message(
    msgType: string,
    content: Record<string, unknown> = {},
    options: Session.IMessageOptions = {}
  ): Session.IMessage {
    return {
      header: {
        msg_id: `${this._idPrefix}${++this._count}`,
        msg_type: msgType,
        username: this.username,
        session: this.session,
        date: new Date().toISOString(),
        version: JUPYTER_PROTOCOL_VERSION
      },
      parent_header: options.parent ?? {},
      metadata: options.metadata ?? {},
      content,
      buffers: options.buffers ?? []
    };
  }

  /** The frames of `message`, after `idents`, signed. */
  serialize(message: Session.IMessage, idents: Buffer[] = []): Buffer[] {
    const parts = [
      Buffer.from(JSON.stringify(message.header)),
      Buffer.from(JSON.stringify(message.parent_header)),
      Buffer.from(JSON.stringify(message.metadata)),
      Buffer.from(JSON.stringify(message.content))
    ];
    return [...idents, DELIMITER, this.sign(parts), ...parts, ...message.buffers];
  }

  /** The lowercase hex HMAC of the frames (empty when the key is empty). */
  sign(parts: ReadonlyArray<Buffer>): Buffer {
    if (!this._signs) {
      return Buffer.alloc(0);
    }
    const hmac = createHmac(this._digest, this._key);
    for (const p of parts) {
      hmac.update(p);
    }
    return Buffer.from(hmac.digest('hex'));
  }

  /**
   * Split received frames into identities and a message, checking the
   * signature on the bytes as received. Throws a Session.InvalidMessage
   * saying why a message is refused.
   */
  deserialize(frames: ReadonlyArray<Buffer>): Session.IReceived {
    const at = frames.findIndex(f => f.equals(DELIMITER));
    if (at < 0) {
      throw new Session.InvalidMessage('no <IDS|MSG> delimiter');
    }
    const idents = frames.slice(0, at);
    const rest = frames.slice(at + 1);
    if (rest.length < 5) {
      throw new Session.InvalidMessage(
        `malformed message: ${rest.length} frames after the delimiter, need 5`
      );
    }
    const [signature, ...signed] = rest.slice(0, 5);
    if (this._signs) {
      this._checkSignature(signature, signed);
    }
    let parsed: unknown[];
    try {
      parsed = signed.map(p => JSON.parse(p.toString('utf8')));
    } catch (reason) {
      throw new Session.InvalidMessage(`bad JSON: ${(reason as Error).message}`);
    }
    const [header, parent, metadata, content] = parsed as Record<string, any>[];
    if (!header || typeof header.msg_type !== 'string') {
      throw new Session.InvalidMessage('header without a msg_type');
    }
    return {
      idents,
      message: {
        header: header as Session.IHeader,
        parent_header: parent ?? {},
        metadata: metadata ?? {},
        content: content ?? {},
        buffers: rest.slice(5)
      }
    };
  }

  private _checkSignature(signature: Buffer, signed: Buffer[]): void {
    if (signature.length === 0) {
      throw new Session.InvalidMessage('unsigned message');
    }
    const expected = this.sign(signed);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new Session.InvalidMessage('invalid signature');
    }
    // only a verified signature counts as seen: a forger must not be able
    // to make us refuse the real message later
    const key = signature.toString('latin1');
    if (this._seen.has(key)) {
      throw new Session.InvalidMessage('duplicate signature (a replayed message)');
    }
    this._seen.add(key);
    if (this._seen.size > Private.MAX_DIGESTS) {
      // forget the oldest tenth at once, as jupyter_client does
      let drop = Math.floor(Private.MAX_DIGESTS / 10);
      for (const old of this._seen) {
        this._seen.delete(old);
        if (--drop <= 0) {
          break;
        }
      }
    }
  }

  private _digest: string;
  private _key: Buffer;
  private _signs: boolean;
  private _idPrefix: string;
  private _count = 0;
  private _seen = new Set<string>();
}

/** Types that go with Session. */
export namespace Session {
  export interface IOptions {
    /** The connection file's `key`, used as UTF-8 bytes. */
    key: string;
    /** e.g. 'hmac-sha256' (the default). */
    signatureScheme?: string;
    session?: string;
    username?: string;
  }

  export interface IMessageOptions {
    parent?: Partial<IHeader>;
    metadata?: Record<string, unknown>;
    buffers?: Buffer[];
  }

  export interface IHeader {
    msg_id: string;
    msg_type: string;
    username: string;
    session: string;
    date: string;
    version: string;
    [key: string]: unknown;
  }

  /** A Jupyter message, with JSON parts parsed. */
  export interface IMessage {
    header: IHeader;
    parent_header: Partial<IHeader>;
    metadata: Record<string, any>;
    content: Record<string, any>;
    buffers: Buffer[];
  }

  /** A message and the routing identities it came with. */
  export interface IReceived {
    idents: Buffer[];
    message: IMessage;
  }

  /** A message that is refused: unsigned, badly signed, replayed or malformed. */
  export class InvalidMessage extends Error {
    constructor(message: string) {
      super(message);
      this.name = 'InvalidMessage';
    }
  }
}

namespace Private {
  export const MAX_DIGESTS = 1 << 16;

  export function newId(): string {
    const hex = randomBytes(16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}
