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
