import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.js';
import { HTTP_DEFAULTS } from '../../src/commands/serve-http.js';
import { FLAGS, helpText, parseCli, type CliOptions } from '../../src/options.js';

const STDIO = { name: 'stdio', options: {} } as const;
const DEFAULTS: CliOptions = { command: 'serve', noDaemon: false, transport: STDIO };

interface Case {
  name: string;
  argv: string[];
  env?: Record<string, string | undefined>;
  expected: CliOptions;
}

test('parseCli: a table of accepted command lines', () => {
  const cases: Case[] = [
    { name: 'no arguments', argv: [], expected: DEFAULTS },
    { name: 'explicit serve', argv: ['serve'], expected: DEFAULTS },
    { name: '--pm2-home DIR', argv: ['--pm2-home', '/srv/pm2'], expected: { ...DEFAULTS, pm2Home: '/srv/pm2' } },
    { name: '--pm2-home=DIR', argv: ['--pm2-home=/srv/pm2'], expected: { ...DEFAULTS, pm2Home: '/srv/pm2' } },
    { name: 'relative --pm2-home kept as given', argv: ['serve', '--pm2-home', 'rel/home'], expected: { ...DEFAULTS, pm2Home: 'rel/home' } },
    { name: 'PM2_MCP_HOME is not read here (home.ts reads it)', argv: [], env: { PM2_MCP_HOME: '/x', PM2_HOME: '/y' }, expected: DEFAULTS },
    { name: '--no-daemon', argv: ['--no-daemon'], expected: { ...DEFAULTS, noDaemon: true } },
    { name: '--transport stdio', argv: ['--transport', 'stdio'], expected: DEFAULTS },
    { name: '--transport=stdio', argv: ['--transport=stdio'], expected: DEFAULTS },
    { name: 'PM2_MCP_TRANSPORT=stdio', argv: [], env: { PM2_MCP_TRANSPORT: 'stdio' }, expected: DEFAULTS },
    { name: 'flag transport beats a bad env twin', argv: ['--transport', 'stdio'], env: { PM2_MCP_TRANSPORT: 'carrier-pigeon' }, expected: DEFAULTS },
    { name: 'everything', argv: ['serve', '--no-daemon', '--pm2-home', '/h', '--transport', 'stdio'], expected: { command: 'serve', noDaemon: true, transport: STDIO, pm2Home: '/h' } },
    { name: 'options before the command', argv: ['--no-daemon', 'serve'], expected: { ...DEFAULTS, noDaemon: true } },
    { name: '--help', argv: ['--help'], expected: { command: 'help' } },
    { name: '-h', argv: ['-h'], expected: { command: 'help' } },
    { name: '--version', argv: ['--version'], expected: { command: 'version' } },
    { name: '-v', argv: ['-v'], expected: { command: 'version' } },
    { name: '--help beats --version', argv: ['--version', '--help'], expected: { command: 'help' } },
    { name: '--help ignores other flags and a bad env', argv: ['--help', '--no-daemon'], env: { PM2_MCP_NO_DAEMON: 'maybe', PM2_MCP_TRANSPORT: 'x' }, expected: { command: 'help' } },
    { name: '--help with an unknown command still helps', argv: ['frobnicate', '--help'], expected: { command: 'help' } },
    { name: 'check', argv: ['check'], expected: { command: 'check' } },
    { name: 'check with a config and a policy', argv: ['check', '--config', 'pm2-mcp.config.json', '--policy', 'strict'], expected: { command: 'check', configFile: 'pm2-mcp.config.json', policy: 'strict' } },
    { name: 'explain a tool', argv: ['explain', 'pm2_list_processes'], expected: { command: 'explain', tool: 'pm2_list_processes' } },
    { name: 'explain a tool with JSON arguments', argv: ['explain', 'pm2_stop_process', '{"target":"api"}'], expected: { command: 'explain', tool: 'pm2_stop_process', toolArgs: '{"target":"api"}' } },
    { name: '--config FILE', argv: ['--config', '/etc/pm2-mcp.json'], expected: { ...DEFAULTS, configFile: '/etc/pm2-mcp.json' } },
    { name: 'PM2_MCP_CONFIG', argv: [], env: { PM2_MCP_CONFIG: 'c.yaml' }, expected: { ...DEFAULTS, configFile: 'c.yaml' } },
    { name: 'empty PM2_MCP_CONFIG is unset', argv: [], env: { PM2_MCP_CONFIG: '' }, expected: DEFAULTS },
    { name: '--config beats PM2_MCP_CONFIG', argv: ['--config', 'flag.json'], env: { PM2_MCP_CONFIG: 'env.json' }, expected: { ...DEFAULTS, configFile: 'flag.json' } },
    { name: '--policy NAME', argv: ['--policy', 'permissive'], expected: { ...DEFAULTS, policy: 'permissive' } },
    { name: 'PM2_MCP_POLICY', argv: [], env: { PM2_MCP_POLICY: 'strict' }, expected: { ...DEFAULTS, policy: 'strict' } },
    { name: 'empty PM2_MCP_POLICY is unset', argv: [], env: { PM2_MCP_POLICY: '' }, expected: DEFAULTS },
    { name: '--policy beats PM2_MCP_POLICY', argv: ['--policy', 'strict'], env: { PM2_MCP_POLICY: 'permissive' }, expected: { ...DEFAULTS, policy: 'strict' } },
    { name: '--readonly', argv: ['--readonly'], expected: { ...DEFAULTS, policy: 'readonly' } },
    { name: 'PM2_MCP_READONLY=1', argv: [], env: { PM2_MCP_READONLY: '1' }, expected: { ...DEFAULTS, policy: 'readonly' } },
    { name: 'PM2_MCP_READONLY=false', argv: [], env: { PM2_MCP_READONLY: 'false' }, expected: DEFAULTS },
    { name: '--readonly with --policy readonly agree', argv: ['--readonly', '--policy', 'readonly'], expected: { ...DEFAULTS, policy: 'readonly' } },
  ];
  for (const c of cases) assert.deepEqual(parseCli(c.argv, c.env ?? {}), c.expected, c.name);
});

test('parseCli: PM2_MCP_NO_DAEMON and its spellings', () => {
  const cases: { value: string | undefined; expected: boolean }[] = [
    { value: undefined, expected: false },
    { value: 'true', expected: true },
    { value: '1', expected: true },
    { value: 'yes', expected: true },
    { value: 'on', expected: true },
    { value: 'TRUE', expected: true },
    { value: ' Yes ', expected: true },
    { value: 'false', expected: false },
    { value: '0', expected: false },
    { value: 'no', expected: false },
    { value: 'off', expected: false },
    { value: 'False', expected: false },
    { value: '', expected: false },
  ];
  for (const c of cases) {
    assert.deepEqual(parseCli([], { PM2_MCP_NO_DAEMON: c.value }), { ...DEFAULTS, noDaemon: c.expected }, `PM2_MCP_NO_DAEMON=${String(c.value)}`);
  }
});

test('parseCli: a bad PM2_MCP_NO_DAEMON is a UsageError naming the variable and the value', () => {
  for (const value of ['maybe', '2', 'y', 'tru', 'yes please', '1; rm -rf /']) {
    assert.throws(() => parseCli([], { PM2_MCP_NO_DAEMON: value }), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, `PM2_MCP_NO_DAEMON must be true or false (got "${value}")`);
      return true;
    }, value);
  }
});

test('parseCli: the --no-daemon flag beats its env twin', () => {
  for (const value of ['false', '0', 'no', 'maybe']) {
    assert.deepEqual(parseCli(['--no-daemon'], { PM2_MCP_NO_DAEMON: value }), { ...DEFAULTS, noDaemon: true }, value);
  }
});

test('parseCli: command lines refused with a UsageError, exact messages', () => {
  const cases: { name: string; argv: string[]; env?: Record<string, string>; expected: string }[] = [
    { name: 'unknown long flag', argv: ['--bogus'], expected: "Unknown option '--bogus'. See pm2-mcp --help." },
    { name: 'unknown short flag', argv: ['-x'], expected: "Unknown option '-x'. See pm2-mcp --help." },
    { name: 'an option of pm2, not ours', argv: ['serve', '--interpreter=bash'], expected: "Unknown option '--interpreter'. See pm2-mcp --help." },
    { name: 'unknown command', argv: ['start'], expected: 'Unknown command "start". See pm2-mcp --help.' },
    { name: 'unknown command with shell text', argv: ['$(id)'], expected: 'Unknown command "$(id)". See pm2-mcp --help.' },
    { name: 'a flag after -- is a command', argv: ['--', '--bogus'], expected: 'Unknown command "--bogus". See pm2-mcp --help.' },
    { name: 'extra argument', argv: ['serve', 'extra'], expected: 'Unexpected argument "extra". See pm2-mcp --help.' },
    { name: '--pm2-home without a value', argv: ['--pm2-home'], expected: "Option '--pm2-home <value>' argument missing. See pm2-mcp --help." },
    { name: '--pm2-home empty', argv: ['--pm2-home', ''], expected: '--pm2-home needs a folder.' },
    { name: '--pm2-home blank', argv: ['--pm2-home=  '], expected: '--pm2-home needs a folder.' },
    { name: '--no-daemon with a value', argv: ['--no-daemon=false'], expected: "Option '--no-daemon' does not take an argument. See pm2-mcp --help." },
    { name: '--host with stdio', argv: ['--host', '0.0.0.0'], expected: '--host goes with --transport http.' },
    { name: '--pm2 with stdio', argv: ['--pm2'], expected: '--pm2 goes with --transport http (a stdio server belongs to the client that spawns it).' },
    { name: 'a bad port', argv: ['--transport', 'http', '--port', '99999'], expected: '--port must be a port number from 0 to 65535 (got "99999").' },
    { name: 'bad transport', argv: ['--transport', 'ws'], expected: '--transport must be stdio or http (got "ws").' },
    { name: 'bad transport from env', argv: [], env: { PM2_MCP_TRANSPORT: 'STDIO' }, expected: '--transport must be stdio or http (got "STDIO").' },
    { name: '--transport without a value', argv: ['--transport'], expected: "Option '--transport <value>' argument missing. See pm2-mcp --help." },
    { name: 'explain without a tool', argv: ['explain'], expected: 'explain needs a tool name: pm2-mcp explain <tool> \'<json arguments>\'.' },
    { name: 'explain with unquoted JSON', argv: ['explain', 'pm2_stop_process', '{"target":', '"api"}'], expected: 'Unexpected argument ""api"}": quote the JSON arguments as one argument.' },
    { name: 'check with an extra argument', argv: ['check', 'now'], expected: 'Unexpected argument "now". See pm2-mcp --help.' },
    { name: '--config empty', argv: ['--config', ''], expected: '--config needs a file.' },
    { name: '--config blank', argv: ['--config=   '], expected: '--config needs a file.' },
    { name: '--readonly contradicts --policy', argv: ['--readonly', '--policy', 'permissive'], expected: '--readonly and --policy permissive contradict each other.' },
    { name: 'PM2_MCP_READONLY contradicts PM2_MCP_POLICY', argv: [], env: { PM2_MCP_READONLY: 'yes', PM2_MCP_POLICY: 'standard' }, expected: 'PM2_MCP_READONLY and PM2_MCP_POLICY=standard contradict each other.' },
    { name: 'a bad PM2_MCP_READONLY', argv: [], env: { PM2_MCP_READONLY: 'sure' }, expected: 'PM2_MCP_READONLY must be true or false (got "sure")' },
    { name: '--readonly with a value', argv: ['--readonly=no'], expected: "Option '--readonly' does not take an argument. See pm2-mcp --help." },
  ];
  for (const c of cases) {
    assert.throws(() => parseCli(c.argv, c.env ?? {}), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${c.name}: ${String(err)}`);
      assert.equal(err.name, 'UsageError');
      assert.equal(err.message, c.expected, c.name);
      return true;
    }, c.name);
  }
});

test('parseCli: no parse error message keeps node\'s hint about positionals', () => {
  for (const argv of [['--bogus'], ['-z'], ['--pm2-home']]) {
    assert.throws(() => parseCli(argv, {}), (err: unknown) => err instanceof UsageError && !err.message.includes('To specify a positional argument'));
  }
});

test('parseCli: a flag-looking value after --transport reads as one sentence', () => {
  assert.throws(() => parseCli(['--transport', '--no-daemon'], {}), (err: unknown) => err instanceof UsageError && !err.message.includes('..'));
});

test('parseCli: an empty PM2_MCP_TRANSPORT is treated as unset, like the other env twins', () => {
  assert.deepEqual(parseCli([], { PM2_MCP_TRANSPORT: '' }), DEFAULTS);
});

test('helpText: names the version, every flag and every env twin', () => {
  const text = helpText('9.8.7');
  assert.ok(text.startsWith('pm2-mcp 9.8.7: '), text);
  assert.ok(text.includes('pm2-mcp [serve] [options]'));
  assert.ok(FLAGS.length >= 5);
  for (const f of FLAGS) {
    assert.ok(text.includes(f.flag), `help lacks ${f.flag}`);
    assert.ok(text.includes(f.text), `help lacks the text of ${f.flag}`);
    if (f.env) assert.ok(text.includes(`[${f.env}]`), `help lacks the env twin ${f.env}`);
    const line = text.split('\n').find((l) => l.includes(f.flag)) ?? '';
    assert.equal(line.includes('['), f.env !== '', `${f.flag}: env twin on its own line`);
  }
  for (const name of ['--pm2-home', '--no-daemon', '--transport', '--config', '--policy', '--readonly', '--help', '-h', '--version', '-v', 'PM2_MCP_HOME', 'PM2_MCP_NO_DAEMON', 'PM2_MCP_TRANSPORT', 'PM2_MCP_CONFIG', 'PM2_MCP_POLICY', 'PM2_MCP_READONLY']) {
    assert.ok(text.includes(name), `help lacks ${name}`);
  }
  assert.ok(text.endsWith('\n'));
});

test('every flag parseCli accepts is in FLAGS, and every FLAGS entry parses', () => {
  const known = ['--config', '--policy', '--readonly', '--pm2-home', '--no-daemon', '--transport', '--help', '--version', '--audit-file', '--host', '--port', '--path', '--no-auth', '--pm2', '--pm2-name'];
  const listed = FLAGS.map((f) => f.flag.split(/[ ,]/)[0]);
  for (const flag of known) assert.ok(listed.includes(flag), `${flag} is accepted but not in FLAGS (so not in --help)`);
  for (const f of FLAGS) {
    // "--pm2-home DIR" → ['--pm2-home', 'DIR']; "--help, -h" → ['--help'].
    const [flag, placeholder] = f.flag.split(', ')[0]!.split(' ');
    const samples: Record<string, string> = { PORT: '8849', HOST: '127.0.0.1', PATH: '/mcp', 'stdio|http': 'http' };
    const value = placeholder === undefined ? undefined : (samples[placeholder] ?? placeholder);
    const argv = [...(f.text.startsWith('HTTP:') ? ['--transport', 'http'] : []), ...(value ? [flag!, value] : [flag!])];
    assert.doesNotThrow(() => parseCli(argv, {}), argv.join(' '));
    if (f.env) assert.match(f.env, /^PM2_MCP_[A-Z0-9_]+$/, f.flag);
  }
});

test('parseCli: a --policy flag wins over PM2_MCP_READONLY, as every flag wins over its env twin', () => {
  assert.deepEqual(parseCli(['--policy', 'standard'], { PM2_MCP_READONLY: 'yes' }), { ...DEFAULTS, policy: 'standard' });
  assert.deepEqual(parseCli([], { PM2_MCP_READONLY: 'yes' }), { ...DEFAULTS, policy: 'readonly' });
});

test('parseCli: each command gets only its own options; the others are read and checked, not passed', () => {
  const HTTP = { name: 'http', options: HTTP_DEFAULTS } as const;
  const cases: Case[] = [
    { name: 'check ignores serve\'s flags', argv: ['check', '--pm2-home', '/h', '--no-daemon', '--audit-file', 'a.jsonl', '--transport', 'http', '--pm2'], expected: { command: 'check' } },
    { name: 'explain takes a home, not an audit file', argv: ['explain', 'pm2_list_processes', '--audit-file', 'a', '--no-daemon', '--pm2-home', '/h'], expected: { command: 'explain', tool: 'pm2_list_processes', pm2Home: '/h' } },
    { name: 'audit tail with its flags', argv: ['audit', 'tail', '-n', '5', '--json', 'f.jsonl', '--pm2-home', '/h', '--audit-file', 'a', '--no-daemon'], expected: { command: 'audit', action: 'tail', file: 'f.jsonl', lines: 5, denied: false, json: true, pm2Home: '/h', auditFile: 'a' } },
    { name: 'audit verify', argv: ['audit', 'verify'], expected: { command: 'audit', action: 'verify', lines: 20, denied: false, json: false } },
    { name: 'serve over HTTP', argv: ['--transport', 'http'], expected: { ...DEFAULTS, transport: HTTP } },
    { name: 'serve over HTTP, every HTTP flag', argv: ['--transport', 'http', '--host', '::1', '--port', '0', '--path', '/x', '--no-auth'], expected: { ...DEFAULTS, transport: { name: 'http', options: { host: '::1', port: 0, path: '/x', noAuth: true } } } },
    { name: 'HTTP from the env twins', argv: [], env: { PM2_MCP_TRANSPORT: 'http', PM2_MCP_PORT: '9000', PM2_MCP_NO_AUTH: 'yes' }, expected: { ...DEFAULTS, transport: { name: 'http', options: { ...HTTP_DEFAULTS, port: 9000, noAuth: true } } } },
    { name: '--pm2 is its own command, with the HTTP options and no audit file or daemon mode', argv: ['--transport', 'http', '--pm2', '--port', '9000', '--pm2-name', 'mine', '--audit-file', 'a', '--no-daemon', '--pm2-home', '/h'], expected: { command: 'serve-under-pm2', http: { ...HTTP_DEFAULTS, port: 9000 }, processName: 'mine', pm2Home: '/h' } },
    { name: '--pm2 names the process pm2-mcp by default', argv: ['--transport', 'http', '--pm2', '--policy', 'strict'], expected: { command: 'serve-under-pm2', http: HTTP_DEFAULTS, processName: 'pm2-mcp', policy: 'strict' } },
    { name: 'PM2_MCP_PM2 over HTTP', argv: [], env: { PM2_MCP_TRANSPORT: 'http', PM2_MCP_PM2: '1', PM2_MCP_PM2_NAME: 'from-env' }, expected: { command: 'serve-under-pm2', http: HTTP_DEFAULTS, processName: 'from-env' } },
    { name: 'PM2_MCP_PM2 with stdio is no flag given: stdio serves', argv: [], env: { PM2_MCP_PM2: '1' }, expected: DEFAULTS },
  ];
  for (const c of cases) assert.deepEqual(parseCli(c.argv, c.env ?? {}), c.expected, c.name);
});

test('parseCli: --no-auth beyond loopback is refused only for the transport it goes with', () => {
  const refusal = '--no-auth is refused with --host 0.0.0.0: without a token, anyone who reaches the port runs programs. Use a loopback host, or tokens.';
  assert.throws(() => parseCli(['--transport', 'http', '--no-auth', '--host', '0.0.0.0'], {}), { name: 'UsageError', message: refusal });
  assert.throws(() => parseCli([], { PM2_MCP_TRANSPORT: 'http', PM2_MCP_NO_AUTH: '1', PM2_MCP_HOST: '0.0.0.0' }), { name: 'UsageError', message: refusal });
  // With stdio the flags themselves are what is wrong.
  assert.throws(() => parseCli(['--no-auth', '--host', '0.0.0.0'], {}), { name: 'UsageError', message: '--host goes with --transport http.' });
  assert.deepEqual(parseCli([], { PM2_MCP_NO_AUTH: '1', PM2_MCP_HOST: '0.0.0.0' }), DEFAULTS);
  for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.8.9.10']) {
    assert.doesNotThrow(() => parseCli(['--transport', 'http', '--no-auth', '--host', host], {}), host);
  }
});

test('--transport and the flags that go with it follow the transport table', () => {
  const transport = FLAGS.find((f) => f.flag.startsWith('--transport '));
  assert.deepEqual(transport, { flag: '--transport stdio|http', env: 'PM2_MCP_TRANSPORT', text: 'stdio (default) or Streamable HTTP' });
  const order = FLAGS.map((f) => f.flag.split(/[ ,]/)[0]);
  assert.deepEqual(order, ['--config', '--policy', '--readonly', '--audit-file', '--pm2-home', '--no-daemon', '--transport', '--host', '--port', '--path', '--no-auth', '--pm2', '--pm2-name', '--help', '--version']);
});

test('parseCli: doctor takes the options serve reads its setup with, and no argument', () => {
  assert.deepEqual(parseCli(['doctor'], {}), { command: 'doctor', noDaemon: false });
  assert.deepEqual(parseCli(['doctor', '--pm2-home', '/h', '--config', 'c.json', '--audit-file', 'a.jsonl', '--no-daemon'], { PM2_MCP_POLICY: 'strict' }), {
    command: 'doctor',
    noDaemon: true,
    pm2Home: '/h',
    configFile: 'c.json',
    policy: 'strict',
    auditFile: 'a.jsonl',
  });
  assert.throws(() => parseCli(['doctor', 'now'], {}), { name: 'UsageError', message: 'Unexpected argument "now". See pm2-mcp --help.' });
  assert.match(helpText('1.0.0'), /pm2-mcp doctor {2,}check the setup/);
});
