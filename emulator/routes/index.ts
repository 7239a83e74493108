// The route table the server dispatches on (path → definition).
import { budgetRoutes } from './budgets';
import { healthRoutes } from './health';
import { keyRoutes } from './keys';
import { modelRoutes } from './models';
import type { RouteDef } from './shared';
import { teamRoutes } from './teams';
import { userListRoutes } from './user-list';
import { userRoutes } from './users';

export type { RouteDef } from './shared';

export const routes: ReadonlyMap<string, RouteDef> = new Map(
  [...teamRoutes, ...userRoutes, ...userListRoutes, ...keyRoutes, ...modelRoutes, ...budgetRoutes, ...healthRoutes].map(
    (r) => [r.path, r]
  )
);
