/** A named thing does not exist (or is not visible to the caller). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} not found`);
  }
}

export interface FieldIssue {
  field: string;
  message: string;
  index?: number;
}

/** The thing is busy in a way that refuses the request for now (retry later). Nothing was changed. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** Input was refused; `issues` name every bad field. Nothing was changed. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}
