import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { codecEndpointFor } from '../../src/temporal/embedded';
import { devCodecKeysFile, formatCodecKeys, loadOrCreateDevCodecKeys, parseCodecKeys } from '../../src/temporal/codec-keys';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, type CodecKey } from '../../src/temporal/payload-codec';

// The payload codec seals every payload orderflow gives Temporal. What must hold: what is
// sealed opens to exactly what it was; a rotated-out key still opens its old payloads;
// an altered payload or an unknown key fails loudly; payloads from before the codec pass.

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

const arbitraryPayload: fc.Arbitrary<Payload> = fc.record({
  metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 40 }), { maxKeys: 4 }),
  data: fc.uint8Array({ maxLength: 2_000 }),
});

describe('EncryptionCodec', () => {
  const current = key('k2');
  const old = key('k1');

  it('decode(encode(p)) is p for any payload, and the sealed form names only its encoding and key id', async () => {
    const codec = new EncryptionCodec([current]);
    await fc.assert(
      fc.asyncProperty(fc.array(arbitraryPayload, { maxLength: 5 }), async (payloads) => {
        const sealed = await codec.encode(payloads);
        for (const s of sealed) {
          expect(Object.keys(s.metadata!).sort()).toEqual([KEY_ID_METADATA, METADATA_ENCODING_KEY].sort());
          expect(text(s.metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
          expect(text(s.metadata![KEY_ID_METADATA])).toBe('k2');
        }
        const opened = await codec.decode(sealed);
        expect(opened.map((p) => ({ metadata: { ...p.metadata }, data: Buffer.from(p.data!) }))).toEqual(
          payloads.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v)])), data: Buffer.from(p.data!) })),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('hides the value: a JSON payload holding an e-mail does not show it once sealed', async () => {
    const codec = new EncryptionCodec([current]);
    const plain = defaultPayloadConverter.toPayload({ email: 'ada.lovelace@example.org' });
    const [sealed] = await codec.encode([plain]);
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('ada.lovelace');
    // And the same value sealed twice differs: a fresh nonce each time.
    const [again] = await codec.encode([plain]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(sealed!.data!))).toBe(false);
  });

  it('after a rotation (new key first, old second) seals with the new key and still opens what the old one sealed', async () => {
    const before = new EncryptionCodec([old]);
    const after = new EncryptionCodec([current, old]);
    const plain = defaultPayloadConverter.toPayload({ name: 'Grace Hopper' });
    const [oldSealed] = await before.encode([plain]);
    const [newSealed] = await after.encode([plain]);
    expect(text(newSealed!.metadata![KEY_ID_METADATA])).toBe('k2');
    const opened = await after.decode([oldSealed!, newSealed!]);
    expect(opened.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ name: 'Grace Hopper' }, { name: 'Grace Hopper' }]);
  });

  it('refuses a payload whose ciphertext, nonce, tag or key id was altered', async () => {
    const codec = new EncryptionCodec([current, { id: 'other', key: current.key }]);
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ phone: '+44 20 7946 0000' })]);
    const data = sealed!.data!;
    for (const at of [0, 12, Math.floor(data.length / 2), data.length - 1]) {
      const altered = Uint8Array.from(data);
      altered[at]! ^= 0x01;
      await expect(codec.decode([{ ...sealed!, data: altered }])).rejects.toThrow(/failed authentication/);
    }
    // The key id is authenticated: relabelled to another id holding the same key, it still fails.
    const relabelled = { metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('other') }, data };
    await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
    await expect(codec.decode([{ ...sealed!, data: data.subarray(0, 10) }])).rejects.toThrow(/too short/);
  });

  it('names an unknown key id and the ones it knows', async () => {
    const [sealed] = await new EncryptionCodec([key('retired-2024')]).encode([defaultPayloadConverter.toPayload(1)]);
    await expect(new EncryptionCodec([current, old]).decode([sealed!])).rejects.toThrow(/key "retired-2024", which is not configured \(known: k2, k1\)/);
  });

  it('passes plain payloads (histories from before the codec) through decode untouched', async () => {
    const codec = new EncryptionCodec([current]);
    const plain = [defaultPayloadConverter.toPayload({ a: 1 }), defaultPayloadConverter.toPayload(undefined), { data: new Uint8Array([1, 2]) }];
    const opened = await codec.decode(plain);
    expect(opened).toEqual(plain);
  });

  it('refuses keys that are not 32 bytes and repeated ids', () => {
    expect(() => new EncryptionCodec([])).toThrow(/at least one key/);
    expect(() => new EncryptionCodec([{ id: 'short', key: randomBytes(16) }])).toThrow(/"short" is 16 bytes/);
    expect(() => new EncryptionCodec([current, { ...old, id: 'k2' }])).toThrow(/distinct/);
  });
});

describe('codec keys', () => {
  const k32 = randomBytes(32).toString('base64');

  it('ORDERFLOW_CODEC_KEYS: id:base64key,… in order, the first sealing; standard or URL-safe base64', () => {
    const urlSafe = randomBytes(32).toString('base64url');
    const config = loadConfig({ ORDERFLOW_CODEC_KEYS: `2026-12:${k32}, 2026-06:${urlSafe}` });
    expect(config.codec.keys!.map((k) => k.id)).toEqual(['2026-12', '2026-06']);
    expect(Buffer.from(config.codec.keys![0]!.key).toString('base64')).toBe(k32);
    expect(Buffer.from(config.codec.keys![1]!.key).toString('base64url')).toBe(urlSafe);
    expect(loadConfig({}).codec.keys).toBeUndefined();
  });

  it('refuses a short key, a missing id, a repeated id, without quoting the key', () => {
    const short = randomBytes(16).toString('base64');
    for (const [value, message] of [
      [`a:${short}`, /entry 1 \(a\) is not id:key .*32 bytes/],
      [`:${k32}`, /entry 1 is not id:key/],
      [`a:${k32},a:${k32}`, /entry 2 repeats the key id a/],
      [`a:${k32}:x`, /entry 1 \(a\) is not id:key/],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ ORDERFLOW_CODEC_KEYS: value });
      } catch (e) {
        error = e;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/ORDERFLOW_CODEC_KEYS/);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(short);
      expect((error as Error).message).not.toContain(k32);
    }
  });

  it('ORDERFLOW_UI_ORIGIN defaults to the embedded UI, and takes a list of origins', () => {
    expect(loadConfig({}).codec.uiOrigins).toEqual(['http://127.0.0.1:8233', 'http://localhost:8233']);
    expect(loadConfig({ TEMPORAL_UI_PORT: '9000' }).codec.uiOrigins).toContain('http://localhost:9000');
    expect(loadConfig({ ORDERFLOW_UI_ORIGIN: 'https://temporal.example.com/, http://localhost:8080' }).codec.uiOrigins).toEqual([
      'https://temporal.example.com',
      'http://localhost:8080',
    ]);
    expect(() => loadConfig({ ORDERFLOW_UI_ORIGIN: 'temporal.example.com' })).toThrow(/ORDERFLOW_UI_ORIGIN: entry 1/);
  });

  it('dev keys are made once into the data directory and reused; an unreadable file is not replaced', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-codec-keys-'));
    try {
      const first = loadOrCreateDevCodecKeys(dir);
      expect(first.created).toBe(true);
      expect(first.keys).toHaveLength(1);
      expect(fs.statSync(devCodecKeysFile(dir)).mode & 0o777).toBe(0o600);
      const second = loadOrCreateDevCodecKeys(dir);
      expect(second.created).toBe(false);
      expect(formatCodecKeys(second.keys)).toBe(formatCodecKeys(first.keys));
      fs.writeFileSync(devCodecKeysFile(dir), '{"keys": "broken"}');
      expect(() => loadOrCreateDevCodecKeys(dir)).toThrow(/not a codec key file/);
      expect(fs.readFileSync(devCodecKeysFile(dir), 'utf8')).toBe('{"keys": "broken"}');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('formatCodecKeys is what parseCodecKeys reads', () => {
    const keys = [key('a'), key('b.c_d-1')];
    const parsed = parseCodecKeys(formatCodecKeys(keys));
    expect(parsed.ok && parsed.keys.map((k) => [k.id, Buffer.from(k.key).toString('hex')])).toEqual(keys.map((k) => [k.id, Buffer.from(k.key).toString('hex')]));
  });
});

describe('the codec endpoint given to the embedded UI', () => {
  it('is the API address plus /codec (or /codec/ui/<token>), the public URL when set, none while the port is chosen at start', () => {
    expect(codecEndpointFor(loadConfig({}))).toBe('http://127.0.0.1:3000/codec');
    expect(codecEndpointFor(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }), 'tok')).toBe('http://127.0.0.1:8080/codec/ui/tok');
    expect(codecEndpointFor(loadConfig({ ORDERFLOW_PUBLIC_URL: 'https://orders.example.com/' }))).toBe('https://orders.example.com/codec');
    expect(codecEndpointFor(loadConfig({ PORT: '0' }))).toBeUndefined();
  });
});
