/** The client actions by name, loaded on demand so a client imports only what it runs. */

export interface ClientTools {
  /** Call when set up: the parent takes the RSS baseline then. */
  ready(): Promise<void>;
  /** Prints a progress event (JSON line). */
  emit(event: Record<string, unknown> & { event: string }): void;
}

/** One action: set up, `ready()`, do the thing, return the facts (serialisable, secrets masked). */
export type ClientAction = (
  input: Record<string, unknown>,
  tools: ClientTools,
) => Promise<Record<string, unknown>>;

export const ACTIONS: Readonly<Record<string, () => Promise<ClientAction>>> = {
  mail: async () => (await import('./mail-action.js')).mailAction,
  token: async () => (await import('./token-action.js')).tokenAction,
  config: async () => (await import('./config-action.js')).configAction,
  'load-imap': async () => (await import('./load-actions.js')).loadImapAction,
  'load-smtp': async () => (await import('./load-actions.js')).loadSmtpAction,
  soak: async () => (await import('./soak-action.js')).soakAction,
  'file-cache-writer': async () => (await import('./file-cache-actions.js')).fileCacheWriterAction,
  'file-cache-session': async () => (await import('./file-cache-actions.js')).fileCacheSessionAction,
};
