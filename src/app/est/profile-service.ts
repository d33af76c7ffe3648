/**
 * EST profile administration: create, replace, patch and delete, each one event through the est-profile decider,
 * answered once the read model shows it. Also the bootstrap of the `default` profile and of the profiles
 * declared in signet.toml.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../config/config.js';
import { DEFAULT_EST_PROFILE, estProfileDecider, estProfileStream, type EstProfileCommand, type EstProfileSettings } from '../../domain/est-profile.js';
import { DomainError, invalid, notFound } from '../../domain/errors.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { EstProfileQueries, type EstProfileRow } from '../../../projections/est-profiles.js';
import type { Core } from '../../core.js';
import { defaultProfileSettings, parseProfileInput, resolveBasicUsers, type ProfileInput } from './profile-input.js';
import { requireValidatedUpstream } from '../idial/upstream-assignment.js';

type Json = Record<string, unknown>;

export class EstProfileService {
  readonly profiles: EstProfileQueries;

  constructor(private readonly core: Pick<Core, 'commands' | 'queries' | 'config' | 'runner' | 'readDb' | 'store'>) {
    this.profiles = new EstProfileQueries(core.readDb);
  }

  private defaults(): EstProfileSettings {
    return defaultProfileSettings(this.core.config.ca.leafValidityDays);
  }

  private existing(name: string): EstProfileRow {
    const row = this.profiles.get(name);
    if (!row) throw notFound('unknown_profile', `EST profile ${name} not found`);
    return row;
  }

  async create(input: Json, metadata: EventMetadata, now = new Date()): Promise<EstProfileRow> {
    const parsed = parseProfileInput(input, this.defaults());
    if (!parsed.name) throw invalid('name_required', 'name is required');
    return this.record('CreateEstProfile', parsed.name, await this.complete(parsed, []), metadata, now);
  }

  /** PUT: the given fields over the defaults; Basic users listed without a password keep their hash. */
  async replace(name: string, input: Json, metadata: EventMetadata, now = new Date()): Promise<EstProfileRow> {
    const current = this.existing(name);
    const parsed = parseProfileInput(input, this.defaults());
    return this.record('UpdateEstProfile', this.sameName(name, parsed), await this.complete(parsed, current.settings.auth.basicUsers), metadata, now);
  }

  /** PATCH: the given fields over the current settings. */
  async patch(name: string, input: Json, metadata: EventMetadata, now = new Date()): Promise<EstProfileRow> {
    const current = this.existing(name);
    const parsed = parseProfileInput(input, current.settings);
    return this.record('UpdateEstProfile', this.sameName(name, parsed), await this.complete(parsed, current.settings.auth.basicUsers), metadata, now);
  }

  async delete(name: string, metadata: EventMetadata, now = new Date()): Promise<void> {
    const result = await this.core.commands.handle(estProfileStream(name), estProfileDecider, { type: 'DeleteEstProfile', data: { name }, now }, { metadata });
    if (result.position) await this.core.runner.waitFor(result.position);
  }

  /**
   * Creates the declared profiles that are missing and brings changed ones up to date, then makes sure `default`
   * exists. A profile created through the admin API and not declared is left alone.
   */
  async ensureDeclared(declared: Json[], now = new Date()): Promise<void> {
    const metadata: EventMetadata = { actor: 'bootstrap', auth_method: 'local' };
    // Another node starting at the same time may have declared them a moment ago: read models up to the head first.
    await this.core.runner.waitFor(await this.core.store.headPosition());
    for (const [index, declaration] of declared.entries()) {
      try {
        const input = withAnchorFile(declaration);
        const name = typeof input.name === 'string' ? input.name : undefined;
        const current = name ? this.profiles.get(name) : undefined;
        if (current) await this.replace(current.name, input, metadata, now);
        else await this.createOrReplace(name, input, metadata, now);
      } catch (error) {
        if (error instanceof DomainError) throw new ConfigError(`config error: est.profiles[${index}]: ${error.message}`);
        throw error;
      }
    }
    if (this.profiles.get(DEFAULT_EST_PROFILE)) return;
    try {
      await this.create({ name: DEFAULT_EST_PROFILE }, metadata, now);
    } catch (error) {
      // Another node created it first.
      if (!(error instanceof DomainError && error.code === 'profile_exists')) throw error;
    }
  }

  /** Creates the profile, or replaces it when another node created it since the read models were looked at. */
  private async createOrReplace(name: string | undefined, input: Json, metadata: EventMetadata, now: Date): Promise<void> {
    try {
      await this.create(input, metadata, now);
    } catch (error) {
      if (!(name && error instanceof DomainError && error.code === 'profile_exists')) throw error;
      await this.core.runner.waitFor(await this.core.store.headPosition());
      await this.replace(name, input, metadata, now);
    }
  }

  private sameName(name: string, parsed: ProfileInput): string {
    if (parsed.name !== undefined && parsed.name !== name) throw invalid('rename_unsupported', `name "${parsed.name}" differs from the profile being changed ("${name}"); profiles cannot be renamed`);
    return name;
  }

  private async complete(parsed: ProfileInput, currentUsers: EstProfileSettings['auth']['basicUsers']): Promise<EstProfileSettings> {
    const settings = parsed.settings;
    if (parsed.basicUsers) settings.auth.basicUsers = await resolveBasicUsers(parsed.basicUsers, currentUsers);
    if (!this.core.queries.issuers.resolve(settings.issuerRef)) throw invalid('unknown_issuer', `issuer_ref: no issuer "${settings.issuerRef}"`);
    if (settings.upstream !== undefined) requireValidatedUpstream(this.core.readDb, settings.upstream);
    return settings;
  }

  private async record(type: 'CreateEstProfile' | 'UpdateEstProfile', name: string, settings: EstProfileSettings, metadata: EventMetadata, now: Date): Promise<EstProfileRow> {
    const command: EstProfileCommand = { type, data: { name, settings }, now };
    const result = await this.core.commands.handle(estProfileStream(name), estProfileDecider, command, { metadata });
    if (result.position) await this.core.runner.waitFor(result.position);
    return this.existing(name);
  }
}

/** In signet.toml, trust_anchors may name a PEM file instead of holding the PEM. */
function withAnchorFile(input: Json): Json {
  const anchors = input.trust_anchors;
  if (typeof anchors !== 'string' || anchors === '' || anchors.includes('-----BEGIN')) return input;
  try {
    return { ...input, trust_anchors: readFileSync(resolve(anchors), 'utf8') };
  } catch (error) {
    throw invalid('invalid_profile', `trust_anchors: cannot read ${anchors}: ${(error as Error).message}`);
  }
}

/** Bootstrap step: the `default` profile and those declared in signet.toml (`[[est.profiles]]`). */
export async function ensureDefaultEstProfile(core: Core, now = new Date()): Promise<void> {
  await new EstProfileService(core).ensureDeclared(core.config.est?.profiles ?? [], now);
}
