import pkg from '../package.json' with { type: 'json' };

export const NAME = 'pm2-mcp';
export const VERSION: string = pkg.version;
