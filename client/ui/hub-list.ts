/**
 * A supervisor's list read from the hub: loaded at once, refreshed every 10 seconds and on
 * demand; an expired session signs the supervisor out. Errors are in the user's words.
 */
import { useEffect, useState } from 'preact/hooks';
import type { z } from 'zod';
import { callHub } from '../api.ts';
import { useApp, useText } from './context.ts';

const REFRESH_MS = 10_000;

export function useHubList<S extends z.ZodType>(
  path: string,
  schema: S,
): { data: z.infer<S> | undefined; error: string | undefined; reload: () => void } {
  const app = useApp();
  const { errorOf } = useText();
  const [data, setData] = useState<z.infer<S> | undefined>();
  const [error, setError] = useState<string | undefined>();

  async function load() {
    const answer = await callHub(
      app.baseUrl,
      { method: 'GET', path, token: app.session?.token ?? '' },
      schema,
    );
    if (answer.ok) {
      setData(answer.value);
      setError(undefined);
    } else {
      setError(errorOf(answer.error.code));
      if (answer.error.code === 'not-signed-in') app.signedOut();
    }
  }

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [path]);

  return { data, error, reload: () => void load() };
}
