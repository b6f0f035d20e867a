/**
 * What the sim engine throws. Codes are telephony outcomes, not vendor codes: each vendor simulator maps them
 * to its own wire errors, and the sim backend maps them to BackendError kinds.
 */
export type EngineErrorCode = 'not_found' | 'busy' | 'invalid' | 'conflict';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
