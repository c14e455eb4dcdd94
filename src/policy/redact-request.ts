// A canonical request fit to print or log: env values replaced by a marker, names kept.
import type { CanonicalRequest } from '../model/requests.js';
import { REDACTED } from '../safe-text.js';

export function redactRequest(request: CanonicalRequest): CanonicalRequest {
  if (request.kind !== 'start') return request;
  return {
    ...request,
    apps: request.apps.map((app) => ({ ...app, env: Object.fromEntries(Object.keys(app.env).map((k) => [k, REDACTED])) })),
  };
}
