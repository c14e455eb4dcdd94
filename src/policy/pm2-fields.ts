// Names pm2 treats as fields of a process. An env variable with one of these names overwrites
// that field in the daemon (lib/God.js copies env over the process config), so an env entry
// could swap the script or the interpreter (docs/threat-model.md §T5). Refused under every preset.
const FIELDS = [
  // lib/API/schema.json and its aliases
  'append_env_to_name', 'args', 'automation', 'autorestart', 'autostart', 'combine_logs', 'cron', 'cron_restart', 'cwd',
  'deep_monitoring', 'disable_logs', 'disable_source_map_support', 'disable_trace', 'env', 'err', 'err_file', 'err_log',
  'error', 'error_file', 'event_loop_inspector', 'exec', 'exec_interpreter', 'exec_mode', 'execute_command',
  'exp_backoff_restart_delay', 'filter_env', 'force', 'gid', 'ignore_watch', 'increment_var', 'install_url', 'instance_var',
  'instances', 'interpreter', 'interpreterArgs', 'interpreter_args', 'io', 'kill_retry_time', 'kill_timeout',
  'listen_timeout', 'log', 'log_date_format', 'log_file', 'log_type', 'max_memory_restart', 'max_restarts', 'merge_logs',
  'min_uptime', 'name', 'name_prefix', 'namespace', 'node_args', 'out', 'out_file', 'out_log', 'output', 'pid', 'pid_file',
  'pmx', 'port', 'post_update', 'restart_delay', 'script', 'shutdown_with_message', 'source_map_support', 'stop_exit_codes',
  'time', 'trace', 'treekill', 'uid', 'user', 'username', 'v8', 'vizion', 'wait_ready', 'watch', 'watch_delay',
  'watch_options', 'windowsHide', 'write', 'cmd', 'command',
  // fields the daemon keeps in pm2_env
  'created_at', 'exit_code', 'km_link', 'node_version', 'prev_restart_delay', 'restart_task', 'restart_time', 'status',
  'unstable_restarts', 'version', 'versioning', 'vizion_running', 'windows', 'unique_id', 'axm_actions', 'axm_monitor',
  'axm_options', 'pmx_module', '_km_monitored', '_tree_pids',
];

const SET = new Set(FIELDS);

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
for (const f of FIELDS) SET.add(camel(f));

/** pm2's own prefixes: pm_exec_path, pm_cwd, pm_id, axm_*, env_<name> blocks… */
const PREFIXES = ['pm_', 'pm2_env', 'axm_', 'env_', '_pm2'];

export function isPm2Field(name: string): boolean {
  return SET.has(name) || PREFIXES.some((p) => name.startsWith(p));
}
