import type { ProtocolSettings } from '../config/types.js';
import { ConfigError } from '../errors/errors.js';

/**
 * The mailbox a protocol logs in as (`mail.<p>.user`, else `o365.user`), or a ConfigError naming
 * `mail.<p>.user` when neither is set: every mail protocol provider needs one before it connects.
 */
export function requireMailUser(settings: ProtocolSettings): string {
  if (settings.user !== undefined) return settings.user;
  throw new ConfigError([
    {
      property: `mail.${settings.protocol}.user`,
      expected: 'the mailbox to log in as (or set o365.user); for a shared mailbox, its address',
    },
  ]);
}
