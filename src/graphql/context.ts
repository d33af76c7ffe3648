/**
 * The per-request GraphQL context: the authenticated caller, the services mutations wrap, and read scopes (the
 * live read models, or a past state for `asOf`, leased from the cache until the request ends).
 */
import type Koa from 'koa';
import type { YogaInitialContext } from 'graphql-yoga';
import type { OtpService } from '../app/otp-service.js';
import type { Core } from '../core.js';
import type { AsOfStates, Lease } from './as-of.js';
import { authenticate, type Principal, type TokenAuthorizer } from './auth.js';
import type { AsOf } from './generated/resolvers.js';
import { asOfPoint, type Optional } from './inputs.js';
import type { LiveEvents } from './live-events.js';
import type { GraphReads } from './reads.js';
import { readScope, type ReadScope } from './scope.js';

export interface GraphqlServices {
  authorizer: TokenAuthorizer;
  /** Commands for the mutations, and the projection runner for reading their writes. */
  core: Pick<Core, 'commands' | 'runner'>;
  otp: OtpService;
  liveReads: GraphReads;
  asOf: AsOfStates;
  live: LiveEvents;
}

/** What the koa adapter hands to yoga for each request. */
export interface ServerContext {
  koa: Koa.Context;
  /** Past states this request leased; the adapter releases them once the response is complete. */
  leases: Lease[];
}

export interface GraphqlContext extends YogaInitialContext, ServerContext {
  principal: Principal;
  services: GraphqlServices;
  /** The live state (no asOf) or the state at asOf; one scope per distinct point per request. */
  scope(asOf?: Optional<AsOf>): Promise<ReadScope>;
}

export function contextFactory(services: GraphqlServices): (initial: YogaInitialContext & ServerContext) => GraphqlContext {
  return (initial) => {
    const principal = authenticate(services.authorizer, initial.koa);
    const scopes = new Map<string, Promise<ReadScope>>();
    const scope = (asOf?: Optional<AsOf>): Promise<ReadScope> => {
      const key = asOf ? JSON.stringify([asOf.position ?? null, asOf.time ?? null]) : 'live';
      let found = scopes.get(key);
      if (!found) {
        found = asOf ? leaseScope(services, initial.leases, asOf) : Promise.resolve(readScope(services.liveReads, new Date()));
        scopes.set(key, found);
      }
      return found;
    };
    return Object.assign(initial, { principal, services, scope });
  };
}

async function leaseScope(services: GraphqlServices, leases: Lease[], asOf: AsOf): Promise<ReadScope> {
  const lease = await services.asOf.lease(asOfPoint(asOf));
  leases.push(lease);
  return readScope(lease.state.reads, lease.state.now);
}
