// One call a dialog makes (export, import): busy while it runs, then either its result or the
// app's refusal as readable text, shown next to the form that sent it.
import { errorText, type ErrorText } from './error-text';

export class CallState<T> {
  busy = $state(false);
  error = $state<ErrorText | null>(null);
  result = $state<T | null>(null);

  /** Runs `fn` unless a call is under way; a failure is kept as `error`, titled by `context`. */
  async run(context: string, fn: () => Promise<T>): Promise<T | null> {
    if (this.busy) return null;
    this.busy = true;
    this.error = null;
    this.result = null;
    try {
      this.result = await fn();
      return this.result;
    } catch (err) {
      console.error(context, err);
      this.error = errorText(err, context);
      return null;
    } finally {
      this.busy = false;
    }
  }

  /** A refusal found before calling (a form that does not parse). */
  refuse(message: string): void {
    this.result = null;
    this.error = { name: 'InvalidInput', title: 'Check the form', message };
  }
}
