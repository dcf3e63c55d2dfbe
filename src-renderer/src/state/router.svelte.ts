// The current top-level view, kept in the address's hash.
import { parseRoute, routeHash } from '../lib/route';
import { DEFAULT_VIEW, VIEWS } from '../lib/views';

class Router {
  view = $state(parseRoute(location.hash, VIEWS, DEFAULT_VIEW));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.view = parseRoute(location.hash, VIEWS, DEFAULT_VIEW);
    });
  }

  go(id: string): void {
    this.view = parseRoute(routeHash(id), VIEWS, DEFAULT_VIEW);
    if (location.hash !== routeHash(this.view)) location.hash = routeHash(this.view);
  }
}

export const router = new Router();
