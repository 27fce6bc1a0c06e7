"use client";

import * as React from "react";
import type { z } from "zod";
import { api, type ApiError, type ApiResult } from "./api-client";
import { zodFieldErrors, type FieldErrors } from "./form";

/**
 * Form state for a JSON API form: values as typed (never cleared on a refusal), client
 * validation with the same zod schema as the server, and the server's field messages
 * mapped onto the same fields.
 */
export function useJsonForm<V extends Record<string, unknown>>(initial: V) {
  const [values, setValues] = React.useState<V>(initial);
  const [errors, setErrors] = React.useState<FieldErrors>({});
  const [formError, setFormError] = React.useState<string | undefined>();
  const [busy, setBusy] = React.useState(false);

  const set = React.useCallback(<K extends keyof V>(key: K, value: V[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => (e[key as string] ? { ...e, [key as string]: undefined } : e));
  }, []);

  /** Props for a text-like control bound to `key`. */
  const bind = <K extends keyof V>(key: K) => ({
    name: String(key),
    value: (values[key] ?? "") as string,
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => set(key, e.target.value as V[K]),
  });

  /**
   * Validates `body` (built from values) with `schema`, sends it, and on failure shows the
   * server's messages. Returns the answer when it succeeded.
   */
  async function submit<S extends z.ZodType, T>(
    schema: S,
    body: unknown,
    path: string,
    method = "POST",
    opts: { send?: (parsed: z.output<S>) => unknown; onError?: (e: ApiError) => boolean } = {},
  ): Promise<ApiResult<T> | undefined> {
    setFormError(undefined);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      setErrors(zodFieldErrors(parsed.error));
      setFormError("Please correct the highlighted fields.");
      return undefined;
    }
    setErrors({});
    setBusy(true);
    try {
      const r = await api<T>(path, { method, body: opts.send ? opts.send(parsed.data) : parsed.data });
      if (!r.ok) {
        if (opts.onError?.(r.error)) return r;
        if (r.error.fields) setErrors(r.error.fields);
        // The fields carry the sentences; above the form, one line says where to look.
        setFormError(r.error.fields && Object.keys(r.error.fields).some((k) => k !== "_") ? "Please correct the highlighted fields." : r.error.message);
      }
      return r;
    } finally {
      setBusy(false);
    }
  }

  return { values, setValues, set, bind, errors, setErrors, formError, setFormError, busy, submit };
}
