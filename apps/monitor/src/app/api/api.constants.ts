export const API_OPTIONS = Symbol('API_OPTIONS');

export interface ApiOptions {
  /** Bearer token of the write endpoints; writes answer 401 when unset. */
  token?: string;
}
