/**
 * Errors the user can fix (bad arguments, config, data or model files): the CLI prints their
 * message alone — no stack trace — and exits with {@link UserError.exitCode}.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** 2 for invalid input (usage, config, data), 1 for a run that failed. */
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
