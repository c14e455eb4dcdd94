// The SDK's Server checks the answers to elicitation requests (elicitInput) against their JSON
// Schema with a validator it makes for each session: by default an Ajv instance with every
// format, ~10 ms before a session can answer initialize, and ajv's 130 KB parsed at every start.
// pm2-mcp sends no elicitation requests, so it gives each Server this one, which never loads ajv;
// the bundle leaves the SDK's default out (scripts/build.mjs). A server that elicits would pass
// the SDK's AjvJsonSchemaValidator here instead, and pay for it at start-up.
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';

export const NO_ELICITATION: jsonSchemaValidator = {
  getValidator: () => {
    throw new Error('pm2-mcp sends no elicitation requests: its Server has no JSON Schema validator for their answers (src/server/no-elicitation.ts)');
  },
};
