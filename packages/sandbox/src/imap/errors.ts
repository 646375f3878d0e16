/** A command that is well-formed but cannot be carried out; answered with a tagged `NO` and its message. */
export class ImapCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImapCommandError';
  }
}
