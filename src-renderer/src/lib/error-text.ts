// What a person reads when something fails: a short title from the error's kind, then the
// error's own message (which already says where, what was expected and what came).

export interface ErrorText {
  title: string;
  message: string;
  name: string;
}

const TITLES: Record<string, string> = {
  InvalidInput: 'Invalid input',
  Invariant: 'Internal error',
  NotFound: 'Not found',
  FolderMissing: 'Folder not found',
  Conflict: 'Not possible right now',
  NetworkError: 'Connection problem',
  ProtocolError: 'Unexpected reply from the app',
};

export function errorText(err: unknown, context?: string): ErrorText {
  let name = 'Error';
  let message: string;
  if (err instanceof Error) {
    name = err.name || 'Error';
    message = err.message || String(err);
  } else if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as { name?: unknown; message: string };
    if (typeof e.name === 'string' && e.name) name = e.name;
    message = e.message;
  } else if (typeof err === 'string') {
    message = err;
  } else {
    message = `unexpected error value: ${JSON.stringify(err) ?? String(err)}`;
  }
  const kind = TITLES[name] ?? 'Something went wrong';
  return { name, title: context ? `${context}: ${kind.toLowerCase()}` : kind, message: message || '(no message)' };
}
