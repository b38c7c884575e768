import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// The custom search attributes every order workflow carries, defined once. Workflow code
// imports this module too, so it must import nothing but @temporalio/common.
// The constants end in `Key` so they do not clash with the domain types OrderStatus,
// OrderStage, Channel and Priority at import sites.

export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const OrderStageKey = defineSearchAttributeKey('OrderStage', SearchAttributeType.KEYWORD);
/** The `OF-…` number a customer quotes. */
export const OrderNumberKey = defineSearchAttributeKey('OrderNumber', SearchAttributeType.KEYWORD);
/** Opaque (`cus_…`, src/intake/customer-ref.ts): never an e-mail, phone or name. */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ChannelKey = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
export const PriorityKey = defineSearchAttributeKey('Priority', SearchAttributeType.KEYWORD);
export const RegionKey = defineSearchAttributeKey('Region', SearchAttributeType.KEYWORD);
export const CarrierKey = defineSearchAttributeKey('Carrier', SearchAttributeType.KEYWORD);
export const NeedsAttentionKey = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL);

export const ORDER_SEARCH_ATTRIBUTE_KEYS = [
  OrderStatusKey,
  OrderStageKey,
  OrderNumberKey,
  CustomerIdKey,
  ChannelKey,
  PriorityKey,
  RegionKey,
  CarrierKey,
  NeedsAttentionKey,
] as const;

/** Type names as the Temporal CLI spells them (`--search-attribute NAME=Keyword`). */
export const CLI_SEARCH_ATTRIBUTE_TYPE_NAMES = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
} as const satisfies Record<SearchAttributeType, string>;

export type CliSearchAttributeTypeName = (typeof CLI_SEARCH_ATTRIBUTE_TYPE_NAMES)[SearchAttributeType];

/** Name → CLI type name, e.g. `{ OrderStatus: 'Keyword', NeedsAttention: 'Bool', … }`. */
export const ORDER_SEARCH_ATTRIBUTES: Readonly<Record<string, CliSearchAttributeTypeName>> = Object.freeze(
  Object.fromEntries(ORDER_SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, CLI_SEARCH_ATTRIBUTE_TYPE_NAMES[key.type]])),
);
