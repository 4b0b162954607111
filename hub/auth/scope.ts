/**
 * What a supervisor oversees: the routes of her region, and the devices enrolled with codes
 * that supervisors of her region issued (payments on the routes' accounts or taken by those
 * devices; facts those devices sent). A supervisor with no region oversees everything. One
 * place decides it; the collections, the review list, the devices and uploads all ask here.
 */
import type { Kysely } from 'kysely';
import type { SessionUser } from '../http/context.ts';
import type { Database } from '../store/schema.ts';

/** The region of a supervisor's session, or null for every region. */
export function regionOf(user: SessionUser): string | null {
  return user.role === 'supervisor' ? user.regionId : null;
}

/** Accounts on the region's routes, as a subquery for a `where account_id in (…)`. */
export function accountsIn(db: Kysely<Database>, regionId: string) {
  return db
    .selectFrom('accounts as scoped')
    .innerJoin('routes as scoped_routes', 'scoped_routes.id', 'scoped.route_id')
    .select('scoped.id')
    .where('scoped_routes.region_id', '=', regionId);
}

/** Devices of the region, as a subquery: enrolled with a code its supervisor issued. */
export function devicesIn(db: Kysely<Database>, regionId: string) {
  return db
    .selectFrom('devices as scoped')
    .innerJoin('users as issuers', 'issuers.id', 'scoped.registered_by')
    .select('scoped.id')
    .where('issuers.region_id', '=', regionId);
}

/** Whether the device is one the supervisor oversees. */
export async function oversees(
  db: Kysely<Database>,
  user: SessionUser,
  deviceId: string,
): Promise<boolean> {
  const regionId = regionOf(user);
  if (regionId === null) return true;
  const row = await db
    .selectFrom('devices')
    .innerJoin('users', 'users.id', 'devices.registered_by')
    .select('devices.id')
    .where('devices.id', '=', deviceId)
    .where('users.region_id', '=', regionId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The routes an agent serves: her own, or every route of her area (a village agent). The one
 * place that says which accounts an agent's device pulls.
 */
export async function agentRoutes(db: Kysely<Database>, user: SessionUser): Promise<string[]> {
  if (user.areaId !== null) {
    // Only the area's routes of its own region: an area never reaches into another region.
    const rows = await db
      .selectFrom('routes')
      .innerJoin('areas', 'areas.id', 'routes.area_id')
      .select('routes.id')
      .where('routes.area_id', '=', user.areaId)
      .where((eb) =>
        eb.or([
          eb('areas.region_id', 'is', null),
          eb('areas.region_id', '=', eb.ref('routes.region_id')),
        ]),
      )
      .orderBy('routes.id')
      .execute();
    return rows.map((row) => row.id);
  }
  return user.routeId === null ? [] : [user.routeId];
}

/**
 * The region a village agent reaches through the hub (her area's; null: every region, for an
 * area of no region). A field agent reaches nothing beyond her route.
 */
export async function villageRegion(
  db: Kysely<Database>,
  user: SessionUser,
): Promise<string | null> {
  if (user.areaId === null) return null;
  const area = await db
    .selectFrom('areas')
    .select('region_id')
    .where('id', '=', user.areaId)
    .executeTakeFirst();
  return area?.region_id ?? null;
}
