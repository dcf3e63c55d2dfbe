// The Content-Security-Policy both windows run under: scripts and styles only from the app
// itself, images from the app and its media source, and no plugins, frames or form posts.
export interface CspSources {
  /** where images may come from besides 'self' (e.g. the Electron media scheme) */
  img?: string[];
  /** where fetch/WebSocket may connect besides 'self' */
  connect?: string[];
}

export function contentSecurityPolicy({ img = [], connect = [] }: CspSources = {}): string {
  return [
    "default-src 'self'",
    ["img-src 'self'", ...img].join(' '),
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    ["connect-src 'self'", ...connect].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
