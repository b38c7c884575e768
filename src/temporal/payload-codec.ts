import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import path from 'node:path';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

// Every payload orderflow hands to Temporal — workflow and activity inputs and results,
// signals, updates, queries, failure details, and (through FAILURE_CONVERTER_PATH)
// failure messages and stack traces — is sealed with AES-256-GCM before it
// leaves the process, so the server's history holds no personal data in clear. The
// whole original payload (metadata and data) is protobuf-encoded and encrypted; the new
// payload names only its encoding and the id of the key that sealed it. Several keys let
// a key be rotated: the first seals, any of them opens what it sealed.

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

export interface CodecKey {
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

const text = new TextEncoder();
const utf8 = new TextDecoder();

export class PayloadCodecError extends Error {
  override name = 'PayloadCodecError';
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Uint8Array>;
  private readonly current: CodecKey;

  constructor(keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new PayloadCodecError('the payload codec needs at least one key');
    for (const k of keys) {
      if (k.key.length !== 32) throw new PayloadCodecError(`codec key "${k.id}" is ${k.key.length} bytes; AES-256 needs 32`);
    }
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    if (this.keys.size !== keys.length) throw new PayloadCodecError('codec key ids must be distinct');
    this.current = keys[0]!;
  }

  /** The id new payloads are sealed with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.seal(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.open(p));
  }

  seal(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key id is authenticated too: a payload relabelled with another id does not open.
    cipher.setAAD(text.encode(this.current.id));
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: text.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: text.encode(this.current.id),
      },
      data: sealed,
    };
  }

  /** Payloads that are not sealed (histories written before the codec) pass untouched. */
  open(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || utf8.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!idBytes) throw new PayloadCodecError(`an encrypted payload has no "${KEY_ID_METADATA}" metadata`);
    const id = utf8.decode(idBytes);
    const key = this.keys.get(id);
    if (!key) {
      throw new PayloadCodecError(
        `a payload is encrypted with key "${id}", which is not configured (known: ${[...this.keys.keys()].join(', ')}); ` +
          'keep retired keys in ORDERFLOW_CODEC_KEYS after the current one while histories still use them',
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadCodecError(`an encrypted payload (key "${id}") is too short to be one`);
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(idBytes);
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadCodecError(`an encrypted payload (key "${id}") failed authentication: altered, or sealed with another key of that id`);
    }
    const original = temporal.api.common.v1.Payload.decode(plain);
    const opened: Payload = { metadata: original.metadata ?? {}, data: original.data ?? new Uint8Array() };
    if (original.externalPayloads?.length) opened.externalPayloads = original.externalPayloads;
    return opened;
  }
}

/**
 * Failure messages and stack traces are not payloads: this converter moves them into one
 * (`encodedAttributes`), so the codec seals them too. Clients and workers load it by path;
 * a workflow bundle built ahead of time needs it too: `bundleWorkflowCode({ …, failureConverterPath })`.
 */
export const FAILURE_CONVERTER_PATH = path.resolve(__dirname, 'failure-converter.cjs');

/** What clients and workers are given: `dataConverter: dataConverterFor(codec)`. */
export function dataConverterFor(codec: PayloadCodec): DataConverter & { payloadCodecs: PayloadCodec[] } {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
