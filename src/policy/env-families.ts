// Environment variables an agent may never give an app, by family (docs/threat-model.md §T13).
// Interpreters, their standard libraries, the C library and the tools a script spawns read far
// more of the environment than their documented options: python imports the module named in
// PYTHONWARNINGS before it reads the script, and its webbrowser module runs $BROWSER. A list of
// single names cannot keep up, so whole families are refused, each with the documentation that
// defines it. Matching ignores case: npm reads npm_config_* in any case, and refusing more is safe.
//
// These are hard refusals: no preset, no config key and no audit mode lets them through. The
// operator can still hand an app such a variable from the server's own environment with
// start.env.passThrough (the operator's choice, not the agent's).

export interface EnvFamily {
  /** Stable id, shown in the denial's rule: start.env.family.<id>. */
  id: string;
  /** Names, or patterns where "*" is any run of characters (NAME_*, *_BINARY_PATH). */
  names: readonly string[];
  /** What reading them does, in a few words. */
  why: string;
  /** Where the family is defined. */
  source: string;
}

export const ENV_FAMILIES: readonly EnvFamily[] = [
  { id: 'python', names: ['PYTHON*'], why: 'python imports modules, reads startup files and search paths named here (PYTHONWARNINGS, PYTHONSTARTUP, PYTHONPATH …)', source: '`python3 --help-env`; docs.python.org/3/using/cmdline.html#environment-variables' },
  { id: 'node', names: ['NODE_*', 'UV_*'], why: 'node loads modules, options, certificates and warnings files named here (NODE_OPTIONS, NODE_PATH, NODE_REPL_EXTERNAL_MODULE …)', source: '`node --help` (Environment variables); nodejs.org/api/cli.html#environment-variables' },
  { id: 'typescript', names: ['TS_NODE_*', 'TSX_*', 'SWC_*'], why: 'ts-node and tsx load compilers, transpilers and tsconfig files named here', source: 'typestrong.org/ts-node/docs/options; tsx.is/dev-api' },
  { id: 'package-managers', names: ['npm_config_*', 'NPM_*', 'YARN_*', 'PNPM_*', 'COREPACK_*', 'BUNDLE_*', 'GEM_*', 'PIP_*', 'CARGO_*', 'GOFLAGS', 'GOPATH'], why: 'package managers run scripts, hooks and binaries their configuration names (npm_config_script_shell, BUNDLE_GEMFILE …)', source: 'docs.npmjs.com/cli/using-npm/config#environment-variables; bundler.io/man/bundle-config.1.html; pip.pypa.io/en/stable/topics/configuration' },
  { id: 'perl', names: ['PERL*'], why: 'perl takes switches and modules from PERL5OPT and PERL5LIB, a debugger from PERL5DB', source: '`perldoc perlrun` (ENVIRONMENT)' },
  { id: 'ruby', names: ['RUBY*'], why: 'ruby takes switches and load paths from RUBYOPT and RUBYLIB', source: '`man ruby` (ENVIRONMENT)' },
  { id: 'java', names: ['JAVA*', '_JAVA_OPTIONS', 'JDK_*', 'CLASSPATH', 'MAVEN_*', 'GRADLE_*'], why: 'the JVM takes agents (-javaagent) and class paths from JAVA_TOOL_OPTIONS, _JAVA_OPTIONS, JDK_JAVA_OPTIONS, CLASSPATH', source: 'docs.oracle.com/en/java/javase/21/troubleshoot/environment-variables-and-system-properties.html' },
  { id: 'php', names: ['PHP*'], why: 'php loads the ini files (auto_prepend_file) named by PHPRC and PHP_INI_SCAN_DIR', source: 'php.net/manual/en/configuration.file.php' },
  { id: 'deno', names: ['DENO_*'], why: 'deno takes its directory, certificates and flags from DENO_*', source: 'docs.deno.com/runtime/reference/env_variables' },
  { id: 'bun', names: ['BUN_*'], why: 'bun takes options and preloads from BUN_* (BUN_OPTIONS)', source: 'bun.sh/docs/runtime/env' },
  { id: 'dynamic-linker', names: ['LD_*', 'DYLD_*'], why: 'the dynamic linker preloads libraries named here into every program (LD_PRELOAD, LD_LIBRARY_PATH, DYLD_INSERT_LIBRARIES)', source: '`man ld.so` (ENVIRONMENT); `man dyld`' },
  { id: 'libc', names: ['GCONV_PATH', 'GETCONF_DIR', 'GLIBC_TUNABLES', 'HOSTALIASES', 'LOCALDOMAIN', 'LOCPATH', 'MALLOC_*', 'NIS_PATH', 'NLSPATH', 'RESOLV_HOST_CONF', 'RES_OPTIONS', 'TZDIR'], why: 'glibc loads modules and data files named here (GCONV_PATH loads shared objects); glibc itself drops them for set-uid programs', source: 'glibc sysdeps/generic/unsecvars.h (TMPDIR, also listed there, only moves temporary files)' },
  { id: 'openssl', names: ['OPENSSL_*', 'SSLKEYLOGFILE', 'SSL_CERT_*'], why: 'OpenSSL loads engines, providers and config files named here; SSLKEYLOGFILE writes session keys', source: '`man openssl-env`' },
  { id: 'shell', names: ['BASH_*', 'BASHOPTS', 'SHELLOPTS', 'ENV', 'IFS', 'PS4', 'PROMPT_COMMAND', 'CDPATH', 'GLOBIGNORE', 'ZDOTDIR', 'SHELL', 'POSIXLY_CORRECT'], why: 'shells source BASH_ENV and ENV, run PROMPT_COMMAND, expand PS4 and split words on IFS in every script they run', source: '`man bash` (Shell Variables); POSIX sh ENV' },
  { id: 'git', names: ['GIT_*'], why: 'git runs GIT_SSH_COMMAND, GIT_ASKPASS, GIT_EXTERNAL_DIFF and config given by GIT_CONFIG_* for any script that calls git', source: '`man git` (ENVIRONMENT VARIABLES)' },
  { id: 'ssh', names: ['SSH_*', 'SUDO_ASKPASS'], why: 'ssh runs SSH_ASKPASS; SSH_AUTH_SOCK hands over the owner\'s keys', source: '`man ssh` (ENVIRONMENT)' },
  { id: 'hooks', names: ['BROWSER', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'SYSTEMD_PAGER', 'LESS*', 'TERMINAL', 'DISPLAY_CMD'], why: 'libraries run the command these name (python\'s webbrowser runs $BROWSER; less runs LESSOPEN)', source: 'docs.python.org/3/library/webbrowser.html; `man less` (LESSOPEN); `man git-var` (GIT_EDITOR, GIT_PAGER)' },
  { id: 'build', names: ['CC', 'CXX', 'CPP', 'LD', 'AR', 'AS', 'FC', 'F77', 'PC', 'CO', 'GET', 'LEX', 'YACC', 'LINT', 'M2C', 'OBJC', 'RM', 'TEX', 'TEXI2DVI', 'MAKEINFO', 'WEAVE', 'CWEAVE', 'TANGLE', 'CTANGLE', 'OUTPUT_OPTION', 'SUFFIXES', 'LDLIBS', 'MAKEFLAGS', 'GNUMAKEFLAGS', 'MAKEOVERRIDES', 'MAKELEVEL', 'MFLAGS', 'MAKE_*', 'CFLAGS', 'CXXFLAGS', 'LDFLAGS', 'CPPFLAGS', 'LDSHARED', 'LINK', 'NM', 'STRIP', 'RANLIB', 'OBJCOPY', 'OBJDUMP', 'INSTALL', 'PKG_CONFIG*', 'CC_*', 'CXX_*', 'AR_*', 'LINK_*', 'CONFIG_SITE', 'GCC_*', 'COMPILER_PATH', 'DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES'], why: 'build tools a script spawns (make, node-gyp, setuptools, configure) run the programs these name, with these flags; make turns every variable of the environment into a make variable and runs its built-in defaults (RM, CC, AS …) as commands', source: 'GNU make manual §6.10 (Variables from the Environment) and §10.3 (Implicit Variables; `make -p -f /dev/null`); node-gyp README; autoconf manual (CONFIG_SITE); gcc manual (Environment Variables)' },
  { id: 'search-paths', names: ['PATH', 'HOME', 'XDG_*', 'TMPDIR'], why: 'they decide which program a bare command runs and where startup files (.bashrc, .gitconfig, .npmrc, python user site) are read from; the operator sets them through start.env.passThrough', source: 'POSIX XBD 8.3 (PATH, HOME); XDG Base Directory Specification' },
  { id: 'version-managers', names: ['PYENV*', 'RBENV*', 'NODENV*', 'ASDF_*', 'MISE_*', 'RTX_*', 'VOLTA_*', 'NVM_*', 'FNM_*', 'N_PREFIX', 'JENV_*', 'SDKMAN_*', 'GOENV_*', 'PLENV_*', 'PHPENV_*', 'CONDA_*', 'VIRTUAL_ENV', 'PIPENV_*', 'POETRY_*'], why: 'the shims these managers put on the PATH pick the interpreter binary (PYENV_VERSION), run hooks (PYENV_HOOK_PATH sources files) and read their own config from here', source: 'github.com/pyenv/pyenv#environment-variables; rbenv README (Environment variables); asdf-vm.com/manage/configuration.html; mise.jdx.dev/configuration.html; volta.sh' },
  { id: 'native-tools', names: ['ESBUILD_*', 'SWC_*', '*_BINARY_PATH', '*_BINARY', '*_BIN_PATH', 'PRISMA_*_BINARY', 'SASS_BINARY_*', 'ELECTRON_*', 'PUPPETEER_*', 'PLAYWRIGHT_*', 'CHROME_PATH', 'CHROMIUM_PATH'], why: 'JavaScript tools run the native binary these name instead of their own (esbuild runs ESBUILD_BINARY_PATH; puppeteer and playwright launch the browser path given)', source: 'esbuild lib/npm/node-platform.ts (ESBUILD_BINARY_PATH); pptr.dev/api/puppeteer.configuration; playwright.dev/docs/browsers' },
  { id: 'tool-config', names: ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'BOTO_CONFIG', 'KRB5_CONFIG', 'KRB5CCNAME', 'EXINIT', 'VIMINIT', 'MYVIMRC', 'GNUPGHOME', 'DOCKER_CONFIG', 'DOCKER_HOST', 'KUBECONFIG', 'CLOUDSDK_*', 'AZURE_CONFIG_DIR', 'WGETRC', 'CURL_HOME', 'NETRC', 'INPUTRC', 'TERMINFO', 'TERMINFO_DIRS'], why: 'libraries and the tools a script calls read a config file named here, and some configs run commands (AWS credential_process, kubeconfig exec plugins, vim EXINIT)', source: 'docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external.html; kubernetes.io/docs/reference/access-authn-authz/authentication (exec plugins); `man vim` (EXINIT)' },
  { id: 'pm2', names: ['PM2_*', 'PROCESS_TITLE', 'pmx', 'io', 'trace', 'km_link', 'unique_id', 'NODE_APP_INSTANCE', 'windowsHide'], why: 'pm2 reads these in the daemon and the process container: PROCESS_TITLE disguises the app in `ps`, io and trace configure the injected agent', source: 'pm2 lib/ProcessContainerFork.js, lib/ProcessUtils.js, lib/God.js' },
  { id: 'command-shapes', names: ['*OPTIONS', '*OPTS', '*OPT', '*FLAGS', '*_ARGS', '*ADDOPTS', '*_RSH', '*_SSH', '*EDITOR', '*_PAGER', '*_SHELL', '*_CMD', '*_COMMAND', '*_WRAPPER', '*_PROG', '*_PROGRAM', '*_EXEC', '*_EXECUTABLE', '*_INTERPRETER', '*_HOOK', '*_HOOKS', '*_HOOK_*', '*_PRELOAD', '*_LOADER', '*_INIT', '*_INIT_*', '*_MODULE', '*_MODULES', '*_PLUGIN_PATH', '*_PLUGINS', '*_PLUGIN_DIR', '*_CONFIG_FILE', '*_CONFIG_PATH', '*_CONFIG_DIR', '*_CONF', '*_CONF_DIR', '*_RC', '*RCPATH', '*_CA_BUNDLE', '*_CA_CERTS', '*_LIBRARY', '*_LIBRARY_PATH', '*_BUS_ADDRESS', '*_PROXY', 'SYSTEM_WGETRC', 'BROWSERSLIST*', 'COVERAGE_*', 'UNZIP', 'ZIPOPT', 'AWK*PATH', 'VIMRUNTIME', 'EMACSLOADPATH', 'PYTEST_*'], why: 'names of these shapes hand a program options, a command, a wrapper, a hook, a module or a config file to load (TAR_OPTIONS runs --checkpoint-action=exec, RSYNC_RSH and SVN_SSH run a command, GUNICORN_CMD_ARGS, DJANGO_SETTINGS_MODULE and LUA_INIT load code)', source: '`man tar` (TAR_OPTIONS), `man rsync` (RSYNC_RSH), svn book (SVN_SSH), docs.gunicorn.org (GUNICORN_CMD_ARGS), docs.djangoproject.com (DJANGO_SETTINGS_MODULE), lua.org manual §7 (LUA_INIT)' },
  { id: 'tool-homes', names: ['TMP', 'TEMP', 'PREFIX', 'MAKE', 'GZIP', 'BZIP', 'BZIP2', 'XZ_DEFAULTS', 'FCEDIT', 'IPYTHONDIR', 'JUPYTER_*', 'DOTENV_*', 'TCLLIBPATH', 'GTK_*', 'GDK_*', 'GIO_*', 'QT_*', 'GST_*', 'MPLBACKEND', 'MPLCONFIGDIR', 'FLASK_APP', 'CELERY_*', 'LUA_*', 'MANOPT', 'MANPATH', 'GROFF_*', 'RUSTC*', 'RUSTFLAGS', 'RUSTDOCFLAGS', 'R_PROFILE*', 'R_ENVIRON*', 'R_LIBS*', 'HGRC*', 'HGPLAIN*', '_*', 'MAKEFILES', 'ERL_*', 'ELIXIR_*', 'MIX_*', 'HEX_*', 'REBAR*', 'CORECLR_*', 'COREHOST_*', 'DOTNET_*', 'RUSTUP_*', 'GOTOOLCHAIN', 'GOENV', 'GOROOT', 'GOPATH', 'GOPROXY', 'GOPRIVATE', 'GONOSUMDB', 'GOINSECURE', 'GOBIN', 'CGO_*', 'CMAKE_*', 'SCONSFLAGS', 'JULIA_*', 'VK_*', 'LIBGL_*', 'LIBVA_*', 'GBM_*', 'MESA_*', 'GEMRC', 'IRBRC', 'PRYRC', 'PSQLRC', 'PGSERVICEFILE', 'MYSQL_HOME', 'ANSIBLE_*', 'FPATH', 'RSH', '*_HOME', '*TOOLCHAIN*', '*PROFILER*', '*_PROFILING'], why: 'tools and frameworks a script may run read startup files, modules or their own binary from these (IPYTHONDIR startup scripts, npm reads PREFIX/etc/npmrc, gzip takes options from GZIP, FLASK_APP names the module to import; names that start with "_" are tools\' internals, such as pyenv\'s _PYENV_SHIM_PATHS_*; MAKEFILES makes every make read the named files as makefiles; CORECLR_PROFILER_PATH loads a library into .NET; ERL_AFLAGS takes -eval; *_HOME points a tool at its plugins and config)', source: 'ipython.readthedocs.io (IPYTHONDIR); docs.npmjs.com/cli/configuring-npm/npmrc; `man gzip`; flask.palletsprojects.com (FLASK_APP); doc.rust-lang.org/cargo/reference/environment-variables.html; GNU make manual §3.4 (MAKEFILES); erlang.org/doc/man/erl (ERL_AFLAGS); learn.microsoft.com/dotnet/core/runtime-config/debugging-profiling (CORECLR_*)' },
];

/**
 * Names inside a family that only switch a behaviour on or off and name no file, module or
 * command. Kept short on purpose: a name joins this list only with its reason.
 */
export const ENV_FAMILY_EXCEPTIONS: Readonly<Record<string, string>> = {
  NODE_ENV: 'a mode string that frameworks read; node itself ignores it',
  PYTHONUNBUFFERED: 'turns off output buffering',
  PYTHONDONTWRITEBYTECODE: 'turns off .pyc writing',
};

interface CompiledFamily {
  family: EnvFamily;
  /** One anchored, case-insensitive pattern: "*" is any run of characters. */
  re: RegExp;
}

const COMPILED: readonly CompiledFamily[] = ENV_FAMILIES.map((family) => ({
  family,
  re: new RegExp(`^(?:${family.names.map((n) => n.split('*').map((part) => part.replace(/[\\^$.|+?()[\]{}]/g, '\\$&')).join('.*')).join('|')})$`, 'i'),
}));

/** The family an env name belongs to, or undefined when it belongs to none (or is an exception). */
export function envFamilyOf(name: string): EnvFamily | undefined {
  if (Object.hasOwn(ENV_FAMILY_EXCEPTIONS, name)) return undefined;
  return COMPILED.find((c) => c.re.test(name))?.family;
}
