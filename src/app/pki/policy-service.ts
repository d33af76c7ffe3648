/** ACL policies (`sys/policies/acl/:name`), and the rules a token's policies grant. */
import { DEFAULT_POLICY, DEFAULT_POLICY_TEXT, parsePolicy, type PolicyRule } from '../../domain/acl.js';
import { policyDecider, policyStream } from '../../domain/policy.js';
import type { EventMetadata } from '../../eventstore/port.js';
import type { PolicyQueries } from '../../../projections/policies.js';
import type { Core } from '../../core.js';
import { recordAndWait } from './context.js';

const BUILTIN_DEFAULT_RULES = parsePolicy(DEFAULT_POLICY_TEXT);

export class PolicyService {
  constructor(
    private readonly core: Pick<Core, 'commands' | 'runner'>,
    private readonly policies: PolicyQueries,
  ) {}

  async write(name: string, text: string, metadata: EventMetadata, now = new Date()): Promise<void> {
    await recordAndWait(this.core, policyStream(name.toLowerCase()), policyDecider, { type: 'WritePolicy', data: { name, text }, now }, { ...metadata, action: 'policy_write' });
  }

  async delete(name: string, metadata: EventMetadata, now = new Date()): Promise<void> {
    await recordAndWait(this.core, policyStream(name.toLowerCase()), policyDecider, { type: 'DeletePolicy', data: { name }, now }, { ...metadata, action: 'policy_delete' });
  }

  /** The policy's text; the built-in `default` until an operator writes one. */
  text(name: string): string | undefined {
    const row = this.policies.get(name.toLowerCase());
    if (row) return row.text;
    return name.toLowerCase() === DEFAULT_POLICY ? DEFAULT_POLICY_TEXT : undefined;
  }

  names(): string[] {
    return [...new Set([DEFAULT_POLICY, 'root', ...this.policies.names()])].sort();
  }

  /** The rules of each named policy (unknown names grant nothing, as in OpenBao). */
  rulesOf(names: readonly string[]): PolicyRule[][] {
    return names.map((name) => this.policies.get(name)?.rules ?? (name === DEFAULT_POLICY ? BUILTIN_DEFAULT_RULES : []));
  }
}
