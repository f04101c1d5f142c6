/** What every router checks about a split before writing it, and the split a new route starts at. */
import type { ResolvedCanary } from '../api/defaults.js';
import { RouterError, type Routes } from './router.js';

/** The split of a route Fledge has just created: everything on the primary. */
export const INITIAL_ROUTES: Routes = { primary: 100, canary: 0, mirrored: false };

/** Throws a {@link RouterError} unless the weights are whole percentages adding up to 100. */
export function checkRoutes(canary: ResolvedCanary, routes: Routes): void {
  const valid = (w: number): boolean => Number.isInteger(w) && w >= 0 && w <= 100;
  if (!valid(routes.primary) || !valid(routes.canary) || routes.primary + routes.canary !== 100) {
    throw new RouterError(
      `Canary ${canary.namespace}/${canary.name}: weights must be whole percentages adding up to 100, got primary ${routes.primary} and canary ${routes.canary}`,
    );
  }
}
