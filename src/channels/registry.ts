import type { ChannelAdapter } from './adapter';
import { marketplace } from './marketplace';
import { travelAgency } from './travel-agency';

// The partners we take orders from, by the name in their URL. A new partner is one file
// beside these and one line here.

const ADAPTERS: readonly ChannelAdapter[] = [marketplace, travelAgency];

export const CHANNEL_ADAPTERS: ReadonlyMap<string, ChannelAdapter> = new Map(ADAPTERS.map((a) => [a.partner, a]));

export function channelAdapterFor(partner: string): ChannelAdapter | undefined {
  return CHANNEL_ADAPTERS.get(partner);
}
