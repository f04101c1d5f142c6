/** The AlertProvider resource: where notifications go, field-compatible with Flagger's. */
import { Type, type Static } from '@sinclair/typebox';
import { Enum, ObjectMetaSchema, SecretRef, Struct } from './common.js';

export const ALERT_PROVIDER_TYPES = ['slack', 'msteams', 'discord', 'rocket', 'gchat', 'webhook'] as const;
export type AlertProviderType = (typeof ALERT_PROVIDER_TYPES)[number];

export const AlertProviderSpecSchema = Struct({
  type: Enum(ALERT_PROVIDER_TYPES, 'Kind of chat or webhook receiver.'),
  channel: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  address: Type.Optional(Type.String({ description: 'Webhook address (or secretRef key "address").' })),
  proxy: Type.Optional(Type.String()),
  secretRef: Type.Optional(SecretRef),
});

export const AlertProviderSchema = Struct({
  apiVersion: Type.String(),
  kind: Type.Literal('AlertProvider'),
  metadata: ObjectMetaSchema,
  spec: AlertProviderSpecSchema,
});

export type AlertProvider = Static<typeof AlertProviderSchema>;
