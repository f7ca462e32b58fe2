/** baton's version, from its package.json: the CLI's --version, the API's and MCP's server info. */
import pkg from '../../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
