/** ConnectWise's error body (`ErrorResponseMessage`, docs/psa-apis.md §1.7). */
export interface CwFieldError {
  code: string;
  message: string;
  resource: string;
  field: string;
}

export interface CwErrorBody {
  code: string;
  message: string;
  errors?: CwFieldError[];
}

export class CwHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: CwErrorBody,
  ) {
    super(body.message);
  }
}

export const invalidObject = (resource: string, errors: CwFieldError[]): CwHttpError =>
  new CwHttpError(400, { code: 'InvalidObject', message: `${resource} object is invalid`, errors });

export const fieldError = (resource: string, field: string, code: string, message: string): CwFieldError => ({ code, message, resource, field });

export const notFound = (resource: string, id: number | string): CwHttpError =>
  new CwHttpError(404, { code: 'NotFound', message: `${resource} with id ${id} was not found.` });

export const badRequest = (message: string): CwHttpError => new CwHttpError(400, { code: 'InvalidRequest', message });

/** Bodies for injected faults and throttling. The 500 mentions "timeout", as real ones often do. */
export function faultBody(status: number): CwErrorBody {
  if (status === 429) return { code: 'TooManyRequests', message: 'Request rate exceeded. Please retry after the Retry-After interval.' };
  if (status === 401) return { code: 'Unauthorized', message: 'Invalid credentials.' };
  if (status >= 500) return { code: 'ConnectWiseApi', message: 'An error occurred while processing the request: Execution timeout expired.' };
  return { code: 'ConnectWiseApi', message: `HTTP ${status}` };
}
