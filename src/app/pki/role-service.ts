/** OpenBao roles: write (replace), patch (merge) and delete, each an event on `role-<name>`; read back from the read model. */
import { roleDecider, roleStream, type RoleDefinition } from '../../domain/role.js';
import type { EventMetadata } from '../../eventstore/port.js';
import type { Core } from '../../core.js';
import { recordAndWait } from './context.js';
import { requireValidatedUpstream } from '../idial/upstream-assignment.js';

export class RoleService {
  constructor(private readonly core: Pick<Core, 'commands' | 'runner' | 'readDb'>) {}

  async write(name: string, role: RoleDefinition, metadata: EventMetadata, now = new Date()): Promise<void> {
    if (role.upstream) requireValidatedUpstream(this.core.readDb, role.upstream);
    await recordAndWait(this.core, roleStream(name), roleDecider, { type: 'WriteRole', data: { name, role }, now }, metadata);
  }

  async patch(name: string, changes: Partial<RoleDefinition>, metadata: EventMetadata, now = new Date()): Promise<void> {
    if (changes.upstream) requireValidatedUpstream(this.core.readDb, changes.upstream);
    await recordAndWait(this.core, roleStream(name), roleDecider, { type: 'PatchRole', data: { name, changes }, now }, metadata);
  }

  async delete(name: string, metadata: EventMetadata, now = new Date()): Promise<void> {
    await recordAndWait(this.core, roleStream(name), roleDecider, { type: 'DeleteRole', data: { name }, now }, metadata);
  }
}
