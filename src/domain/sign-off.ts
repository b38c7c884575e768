// SIGN-OFF (R5.2, R5.3): the recipient checks the packaging and the quantities, then
// proves who they are with an identity document or the order number.

export const CREDENTIAL_TYPES = ['order_number', 'id_document'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

export interface SignOffProof {
  recipientName: string;
  credential: { type: CredentialType; value: string };
  packagingIntact: boolean;
  quantitiesMatch: boolean;
}

export type SignOffCheck =
  | { ok: true; credentialHint: string }
  | { ok: false; code: 'recipient_missing' | 'credential_invalid' | 'goods_not_accepted'; message: string };

const normalise = (text: string) => text.trim().toUpperCase();

export function checkSignOff(
  proof: SignOffProof,
  order: { id: string; number?: string; externalId?: string },
): SignOffCheck {
  if (proof.recipientName.trim().length < 2) {
    return { ok: false, code: 'recipient_missing', message: 'the name of the person signing is required' };
  }
  const value = normalise(proof.credential.value);
  if (proof.credential.type === 'order_number') {
    const known = [order.id, order.number, order.externalId].filter((v): v is string => Boolean(v)).map(normalise);
    if (!known.includes(value)) {
      return { ok: false, code: 'credential_invalid', message: 'the order number given does not match this order' };
    }
  } else if (!/^[A-Z0-9-]+$/.test(value.replace(/\s/g, '')) || value.replace(/[^A-Z0-9]/g, '').length < 5) {
    return { ok: false, code: 'credential_invalid', message: 'an identity document number has at least 5 letters or digits' };
  }
  if (!proof.packagingIntact || !proof.quantitiesMatch) {
    const what = [!proof.packagingIntact && 'the packaging is damaged', !proof.quantitiesMatch && 'the quantities do not match']
      .filter(Boolean)
      .join(' and ');
    return {
      ok: false,
      code: 'goods_not_accepted',
      message: `cannot sign off: ${what}; report a delivery exception instead`,
    };
  }
  return { ok: true, credentialHint: hint(proof.credential) };
}

/** What we keep of a credential: its type and last four characters, never the whole. */
function hint(credential: SignOffProof['credential']): string {
  const value = credential.value.replace(/\s/g, '');
  return `${credential.type}:…${value.slice(-4)}`;
}
