/** The command table: command name (with `UID ` prefix where used) → handler and valid states. */
import type { CommandSpec } from '../session.js';
import { authCommands } from './auth-commands.js';
import { mailboxCommands } from './mailbox-commands.js';
import { messageCommands } from './message-commands.js';
import { sessionCommands } from './session-commands.js';

export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  Object.entries({ ...sessionCommands, ...authCommands, ...mailboxCommands, ...messageCommands }),
);
