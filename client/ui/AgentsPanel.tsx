/**
 * Who serves what, on the supervisor's devices screen: each agent of her region with her route
 * (a field agent) or area (a village agent's pop-up point), changed with one choice. The agent's
 * tablet follows at her next sign-in.
 */
import { useEffect, useState } from 'preact/hooks';
import { agentsResponseSchema, type AgentsResponse } from '../../shared/api.ts';
import { callHub } from '../api.ts';
import { useApp, useText } from './context.ts';

export function AgentsPanel() {
  const app = useApp();
  const { t, errorOf } = useText();
  const [listed, setListed] = useState<AgentsResponse | undefined>();
  const [error, setError] = useState<string | undefined>();
  const token = app.session?.token ?? '';

  async function call(method: 'GET' | 'PUT', path: string, body?: unknown) {
    const answer = await callHub(
      app.baseUrl,
      { method, path, token, ...(body === undefined ? {} : { body }) },
      agentsResponseSchema,
    );
    if (!answer.ok) return setError(errorOf(answer.error.code));
    setError(undefined);
    setListed(answer.value);
  }

  useEffect(() => {
    void call('GET', '/api/agents');
  }, []);

  if (!listed) return null;
  return (
    <section class="card agents" data-testid="agents">
      <h2>{t('agentsServe')}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ul class="plain">
        {listed.agents.map((agent) => (
          <li key={agent.id} class="agent-line">
            <label>
              {agent.displayName} ({agent.username})
              <select
                name={`assignment-${agent.username}`}
                value={agent.assignment ? `${agent.assignment.kind}:${agent.assignment.id}` : ''}
                onChange={(event) => {
                  const [kind, id] = event.currentTarget.value.split(':');
                  if ((kind === 'route' || kind === 'area') && id)
                    void call('PUT', `/api/agents/${encodeURIComponent(agent.id)}/assignment`, {
                      kind,
                      id,
                    });
                }}
              >
                {!agent.assignment && <option value="">{t('notAssigned')}</option>}
                <optgroup label={t('routesFieldAgent')}>
                  {listed.routes.map((route) => (
                    <option key={route.id} value={`route:${route.id}`}>
                      {t('route')} {route.name}
                    </option>
                  ))}
                </optgroup>
                <optgroup label={t('areasVillageAgent')}>
                  {listed.areas.map((area) => (
                    <option key={area.id} value={`area:${area.id}`}>
                      {t('area')} {area.name}
                    </option>
                  ))}
                </optgroup>
              </select>
            </label>
          </li>
        ))}
      </ul>
      <p class="muted">{t('assignmentFollows')}</p>
    </section>
  );
}
