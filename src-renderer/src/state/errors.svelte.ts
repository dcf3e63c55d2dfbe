// Errors shown to the user. Every failed call lands here; repeats of one message are counted,
// not stacked, and each stays until dismissed.
import { errorText } from '../lib/error-text';

export interface Toast {
  id: number;
  title: string;
  message: string;
  count: number;
}

const MAX_SHOWN = 5;

class ErrorStore {
  items = $state<Toast[]>([]);
  private nextId = 1;

  report(err: unknown, context?: string): void {
    console.error(context ?? 'error', err);
    const { title, message } = errorText(err, context);
    const same = this.items.find((t) => t.title === title && t.message === message);
    if (same) {
      same.count++;
      return;
    }
    this.items = [...this.items, { id: this.nextId++, title, message, count: 1 }].slice(-MAX_SHOWN);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }

  clear(): void {
    this.items = [];
  }
}

export const errors = new ErrorStore();

/** Runs `fn`; a failure is shown to the user under `context` and yields undefined. */
export async function attempt<T>(context: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    errors.report(err, context);
    return undefined;
  }
}

/** Shows a job's failure, from its last progress event, under `context`; `what` names the job. */
export function reportFailedJob(p: { phase: string; error?: string | null }, context: string, what: string): void {
  if (p.phase === 'failed') errors.report(new Error(p.error ?? `${what} stopped without saying why`), context);
}
