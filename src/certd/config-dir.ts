/**
 * certd's config directory (`SIGNET_CERTD_CONFIG_DIR`, default `<data>/certd/config.d`): every regular `*.toml`
 * file directly in it, read in name order and merged, re-read whenever the directory changes (fs.watch, debounced).
 *
 * A malformed file is logged and contributes nothing, so it can never open access; the other files still apply,
 * so one broken drop-in does not lock every other service out. Symlinks and subdirectories are skipped (certd
 * reads regular files only), and so is a file anyone may write, since anyone could grant themselves access in it.
 */
import { type Dirent, type FSWatcher, mkdirSync, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../app/logger.js';
import { type CertdConfig, EMPTY_CERTD_CONFIG, mergeCertdConfigs } from './authorization.js';
import { type CertdFileConfig, parseCertdConfigFile } from './config-file.js';

const MAX_FILE_BYTES = 1024 * 1024;

export interface ConfigFileStatus {
  file: string;
  error?: string;
}

export interface CertdConfigSnapshot {
  config: CertdConfig;
  files: ConfigFileStatus[];
}

function listConfigFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.toml') && entry.name !== '.toml')
    .map((entry) => entry.name)
    .sort();
}

function readConfigFile(path: string): { ok: true; config: CertdFileConfig } | { ok: false; error: string } {
  try {
    const stat = statSync(path);
    if (stat.mode & 0o002) return { ok: false, error: `writable by any user (mode ${(stat.mode & 0o777).toString(8)}); chmod o-w it` };
    if (stat.size > MAX_FILE_BYTES) return { ok: false, error: `larger than ${MAX_FILE_BYTES} bytes` };
    return parseCertdConfigFile(readFileSync(path, 'utf8'));
  } catch (error) {
    return { ok: false, error: `unreadable: ${(error as Error).message}` };
  }
}

/** Reads the directory once (no watching): the merged config of its valid files and each file's status. */
export function readCertdConfigDir(dir: string): CertdConfigSnapshot {
  const files: ConfigFileStatus[] = [];
  const valid: CertdFileConfig[] = [];
  for (const name of listConfigFiles(dir)) {
    const file = join(dir, name);
    const result = readConfigFile(file);
    if (result.ok) valid.push(result.config);
    files.push(result.ok ? { file } : { file, error: result.error });
  }
  return { config: mergeCertdConfigs(valid), files };
}

export class CertdConfigDirectory {
  private snapshot: CertdConfigSnapshot = { config: EMPTY_CERTD_CONFIG, files: [] };
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  /** Incremented on every (re)load; lets tests and health checks see that a change was picked up. */
  generation = 0;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly debounceMs = 200,
  ) {}

  /** Creates the directory if needed, loads it and starts watching it. */
  start(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    this.watcher = watch(this.dir, { persistent: false }, () => this.scheduleReload());
    this.watcher.on('error', (error) => {
      this.logger.error({ err: error, dir: this.dir }, 'certd: watching the config directory failed; principals grant nothing until Signet restarts');
      this.snapshot = { config: EMPTY_CERTD_CONFIG, files: [] };
    });
    this.reload();
  }

  get config(): CertdConfig {
    return this.snapshot.config;
  }

  get files(): readonly ConfigFileStatus[] {
    return this.snapshot.files;
  }

  reload(): void {
    try {
      this.snapshot = readCertdConfigDir(this.dir);
    } catch (error) {
      this.logger.error({ err: error, dir: this.dir }, 'certd: the config directory cannot be read; no principal is authorized');
      this.snapshot = { config: EMPTY_CERTD_CONFIG, files: [] };
    }
    this.generation++;
    for (const { file, error } of this.snapshot.files) {
      if (error) this.logger.error({ file, problem: error }, `certd: config file ${file} is malformed and grants nothing until fixed: ${error}`);
    }
    const { principals, issuance } = this.snapshot.config;
    this.logger.info({ dir: this.dir, files: this.snapshot.files.length, principals: principals.length, issuanceSettings: issuance.size }, 'certd: config loaded');
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  /** Editors and package managers write in several steps (temp file, rename): wait until they are done. */
  private scheduleReload(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), this.debounceMs);
  }
}
