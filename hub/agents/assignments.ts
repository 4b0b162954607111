/**
 * Who serves what: each agent has a route (a field agent, house to house) or an area (a village
 * agent's pop-up point, every route of the area), set by a supervisor of the region. An agent's
 * region is the region of her route or area; a supervisor sees and assigns the agents of hers
 * and those with nothing assigned yet, to routes and areas of hers. Each change is audited;
 * the agent's devices and sessions follow at her next sign-in (a session serves the scope its
 * sign-in gave her device: hub/auth/sessions.ts).
 */
import type { AgentAssignment, AgentsResponse } from '../../shared/api.ts';
import { HubError } from '../http/errors.ts';
import { appendAudit } from '../store/audit.ts';
import type { Store } from '../store/store.ts';

/** The region's agents (every agent for null) with what they serve, and what can be chosen. */
export async function listAgents(store: Store, regionId: string | null): Promise<AgentsResponse> {
  let routes = store.db.selectFrom('routes').select(['id', 'name', 'area_id', 'region_id']);
  let areas = store.db.selectFrom('areas').select(['id', 'name', 'region_id']);
  if (regionId !== null) {
    routes = routes.where('region_id', '=', regionId);
    areas = areas.where('region_id', '=', regionId);
  }
  const routeRows = await routes.orderBy('name').execute();
  const areaRows = await areas.orderBy('name').execute();
  const routeIds = new Set(routeRows.map((route) => route.id));
  const areaIds = new Set(areaRows.map((area) => area.id));
  const agents = await store.db
    .selectFrom('users')
    .select(['id', 'display_name', 'username', 'route_id', 'area_id'])
    .where('role', '=', 'agent')
    .orderBy('display_name')
    .execute();
  return {
    agents: agents
      .filter(
        (agent) =>
          regionId === null ||
          (agent.route_id === null && agent.area_id === null) ||
          (agent.route_id !== null && routeIds.has(agent.route_id)) ||
          (agent.area_id !== null && areaIds.has(agent.area_id)),
      )
      .map((agent) => ({
        id: agent.id,
        displayName: agent.display_name,
        username: agent.username,
        assignment: assignmentOf(agent.route_id, agent.area_id),
      })),
    routes: routeRows.map((route) => ({ id: route.id, name: route.name, areaId: route.area_id })),
    areas: areaRows.map((area) => ({ id: area.id, name: area.name })),
  };
}

function assignmentOf(routeId: string | null, areaId: string | null): AgentAssignment | null {
  if (areaId !== null) return { kind: 'area', id: areaId };
  if (routeId !== null) return { kind: 'route', id: routeId };
  return null;
}

/** Gives the agent a route or an area of the supervisor's region, in place of what she had. */
export async function assignAgent(
  store: Store,
  agentId: string,
  assignment: AgentAssignment,
  supervisor: { readonly userId: string; readonly regionId: string | null },
  now: Date,
): Promise<void> {
  const visible = await listAgents(store, supervisor.regionId);
  const agent = visible.agents.find((one) => one.id === agentId);
  // An agent of another region is, for this supervisor, no agent at all.
  if (!agent) throw new HubError(404, 'not-found', 'No such agent in your region.');
  const choices = assignment.kind === 'route' ? visible.routes : visible.areas;
  if (!choices.some((choice) => choice.id === assignment.id))
    throw new HubError(
      400,
      'invalid-request',
      `No such ${assignment.kind} in your region: ${assignment.id}.`,
    );
  // An area with no route of its region would leave the agent nothing to serve.
  if (assignment.kind === 'area' && !visible.routes.some((route) => route.areaId === assignment.id))
    throw new HubError(400, 'invalid-request', `The area ${assignment.id} has no route yet.`);
  await store.transaction(async (trx) => {
    await trx
      .updateTable('users')
      .set(
        assignment.kind === 'route'
          ? { route_id: assignment.id, area_id: null }
          : { route_id: null, area_id: assignment.id },
      )
      .where('id', '=', agentId)
      .execute();
    await appendAudit(trx, {
      at: now.toISOString(),
      actor: `user:${supervisor.userId}`,
      action: 'agent-assigned',
      detail: JSON.stringify({ agentId, from: agent.assignment, to: assignment }),
    });
  });
}
