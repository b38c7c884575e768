import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { parseCodecKeys } from '../../src/temporal/codec-keys';
import { EncryptionCodec } from '../../src/temporal/payload-codec';

// A fixed codec key for test fixtures: recorded histories (tests/workflows/histories/)
// must stay readable by the replay test, so they are sealed with a key kept here. It
// guards no real data.
export const TEST_CODEC_KEYS = 'test-fixture-1:b3JkZXJmbG93LXRlc3QtZml4dHVyZS1rZXktMzJieXQ=';

export function testCodec(): EncryptionCodec {
  const parsed = parseCodecKeys(TEST_CODEC_KEYS);
  if (!parsed.ok) throw new Error(parsed.message);
  return new EncryptionCodec(parsed.keys);
}

export interface FailureText {
  /** As stored in the history: "Encoded failure" when the failure converter sealed it. */
  stored: { message: string; stackTrace: string };
  /** As the codec opens `encodedAttributes`; undefined for a failure stored in clear. */
  opened?: { message: string; stackTrace: string };
}

/** Every failure in `value` (a history, or part of one), causes included, read with and without the codec. */
export async function failuresIn(value: unknown, codec: PayloadCodec): Promise<FailureText[]> {
  const found: Record<string, any>[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return;
    if (Array.isArray(v)) return v.forEach((x) => walk(x));
    const record = v as Record<string, any>;
    if (key === 'failure' || key === 'lastFailure' || key === 'cause') found.push(record);
    for (const [k, x] of Object.entries(record)) walk(x, k);
  };
  walk(value);
  return Promise.all(
    found.map(async (f): Promise<FailureText> => {
      const stored = { message: String(f.message ?? ''), stackTrace: String(f.stackTrace ?? '') };
      if (!f.encodedAttributes) return { stored };
      const [payload] = await codec.decode([f.encodedAttributes as Payload]);
      const attrs = defaultPayloadConverter.fromPayload<{ message: string; stack_trace: string }>(payload!);
      return { stored, opened: { message: attrs.message, stackTrace: attrs.stack_trace } };
    }),
  );
}
