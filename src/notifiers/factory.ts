/**
 * Picks and configures the notifier for an AlertProvider. The caller reads the Secret named by
 * `spec.secretRef` and passes its values ({@link providerSecretFromData} decodes them); this file
 * does no I/O.
 */
import type { AlertProvider, AlertProviderType } from '../api/schema/alert-provider.js';
import { DiscordNotifier } from './discord.js';
import { GChatNotifier } from './gchat.js';
import { GenericWebhookNotifier } from './generic-webhook.js';
import { MSTeamsNotifier } from './msteams.js';
import { NotifierConfigError, type Notifier } from './notifier.js';
import type { SendFn } from '../http/outbound.js';
import { RocketNotifier } from './rocket.js';
import { SLACK_POST_MESSAGE_URL, SlackNotifier } from './slack.js';

/** The spec of an AlertProvider. */
export type AlertProviderSpec = AlertProvider['spec'];

/** Secret key holding the address (overrides `spec.address`), as in Flagger. */
export const SECRET_ADDRESS_KEY = 'address';
/** Secret key holding a token: a Slack bot token, or a Bearer token for `webhook`. */
export const SECRET_TOKEN_KEY = 'token';

/** Values read from the provider's Secret. */
export interface ProviderSecret {
  address?: string;
  token?: string;
}

/** What notifiers are built with. */
export interface NotifierDeps {
  /** Sends requests (default {@link boundedFetch}); tests wrap it. */
  send?: SendFn;
  /** Per-send timeout in milliseconds (default 5 s). */
  timeoutMs?: number;
  /** Clock for the `webhook` provider's timestamp. */
  now?: () => Date;
  /** The AlertProvider as `namespace/name`, named in errors. */
  providerName?: string;
}

/**
 * Decodes the provider keys of a Secret's `data` (base64) and `stringData` (plain, wins, as the API
 * server would merge it). Other keys are ignored.
 */
export function providerSecretFromData(
  data: Record<string, string> | undefined,
  stringData?: Record<string, string>,
): ProviderSecret {
  const read = (key: string): string | undefined => {
    const plain = stringData?.[key];
    if (plain !== undefined) return plain.trim();
    const encoded = data?.[key];
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8').trim();
  };
  const secret: ProviderSecret = {};
  const address = read(SECRET_ADDRESS_KEY);
  const token = read(SECRET_TOKEN_KEY);
  if (address) secret.address = address;
  if (token) secret.token = token;
  return secret;
}

/**
 * Builds the notifier for a provider. The address is the Secret's `address` when present, else
 * `spec.address`; a Slack provider with a token and no address posts to `chat.postMessage`.
 * Throws {@link NotifierConfigError} naming the field when the provider cannot work (no address,
 * an address that is not an http(s) URL, a proxy, which this version cannot use).
 */
export function createNotifier(
  spec: AlertProviderSpec,
  secret: ProviderSecret = {},
  deps: NotifierDeps = {},
): Notifier {
  const type: AlertProviderType = spec.type;
  const where = deps.providerName ? ` "${deps.providerName}"` : '';
  if (spec.proxy) {
    throw new NotifierConfigError(
      `${type} provider${where}: spec.proxy is not supported yet; remove it or reach the address directly`,
    );
  }
  let address = secret.address || spec.address;
  if (!address && type === 'slack' && secret.token) address = SLACK_POST_MESSAGE_URL;
  if (!address) {
    throw new NotifierConfigError(
      `${type} provider${where}: spec.address or the "${SECRET_ADDRESS_KEY}" key of spec.secretRef is required`,
    );
  }
  const common = { address, send: deps.send, timeoutMs: deps.timeoutMs, providerName: deps.providerName };
  const chat = { channel: spec.channel, username: spec.username };
  switch (type) {
    case 'slack':
      return new SlackNotifier({ ...common, ...chat, token: secret.token });
    case 'discord':
      return new DiscordNotifier({ ...common, ...chat });
    case 'rocket':
      return new RocketNotifier({ ...common, ...chat });
    case 'msteams':
      return new MSTeamsNotifier(common);
    case 'gchat':
      return new GChatNotifier(common);
    case 'webhook':
      return new GenericWebhookNotifier({ ...common, token: secret.token, now: deps.now });
    default: {
      const unknown: never = type;
      throw new NotifierConfigError(`provider${where}: unknown type "${String(unknown)}"`);
    }
  }
}
