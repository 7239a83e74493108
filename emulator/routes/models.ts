// GET /v1/models and /models (proxy_server.py::model_list, reference §4.6).
import type { Json } from '../state';
import type { RouteContext, RouteDef } from './shared';

/** utils.py DEFAULT_MODEL_CREATED_AT_TIME */
const CREATED_AT = 1677610602;

/** get_complete_model_list: the key's models, else its team's, else every model on the proxy. */
function listModels({ store, caller, models }: RouteContext): Json {
  const key = caller.key;
  const team = key?.team_id != null ? store.teams.get(key.team_id) : undefined;
  const ids = key && key.models.length > 0 ? key.models : team && team.models.length > 0 ? team.models : models;
  return {
    data: [...new Set(ids)].map((id) => ({ id, object: 'model', created: CREATED_AT, owned_by: 'openai' })),
    object: 'list',
  };
}

export const modelRoutes: RouteDef[] = [
  { method: 'GET', path: '/v1/models', access: 'llm', errors: 'proxy', handle: listModels },
  { method: 'GET', path: '/models', access: 'llm', errors: 'proxy', handle: listModels },
];
