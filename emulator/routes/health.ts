// /health/readiness (no key) and /health/readiness/details (admin): where a client reads the proxy's version.
// 1.80.9 names it in both; 1.108.5 only in the details.
import type { Json } from '../state';
import type { RouteContext, RouteDef } from './shared';

function readiness({ store }: RouteContext): Json {
  if (store.isV108) return { status: 'healthy', db: 'connected' };
  return details({ store } as RouteContext);
}

function details({ store }: RouteContext): Json {
  return {
    status: store.isV108 ? 'healthy' : 'connected',
    db: 'connected',
    cache: null,
    litellm_version: store.version,
  };
}

export const healthRoutes: RouteDef[] = [
  { method: 'GET', path: '/health/readiness', access: 'public', errors: 'proxy', handle: readiness },
  { method: 'GET', path: '/health/readiness/details', access: 'admin', errors: 'proxy', handle: details },
];
