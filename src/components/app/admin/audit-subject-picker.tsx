"use client";

import * as React from "react";
import { LoaderCircleIcon, XIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

export interface AuditSubjectOption {
  id: string;
  label: string;
  detail: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Picks a person for an audit filter: type a name (sent to `search`, a server action, in a
 * POST body) or paste an id. Only the chosen id leaves this component (into the page's
 * query string); the typed text never does — the text box has no `name`.
 */
export function AuditSubjectPicker({
  id,
  label,
  placeholder,
  value,
  onChange,
  search,
  error,
}: {
  id: string;
  label: string;
  placeholder: string;
  value: AuditSubjectOption | null;
  onChange: (v: AuditSubjectOption | null) => void;
  search: (input: { search: string }) => Promise<AuditSubjectOption[]>;
  error?: string;
}) {
  const [text, setText] = React.useState("");
  const [results, setResults] = React.useState<AuditSubjectOption[] | null>(null);
  const [pending, setPending] = React.useState(false);
  const listRef = React.useRef<HTMLUListElement>(null);
  const inputRef = React.useRef<HTMLInputElement>(null);
  const seq = React.useRef(0);

  const run = React.useCallback(
    async (term: string) => {
      const mine = ++seq.current;
      setPending(true);
      try {
        const found = await search({ search: term });
        if (mine === seq.current) setResults(found);
      } catch {
        if (mine === seq.current) toast.error(`Could not search for ${label.toLowerCase()}s. Try again.`);
      } finally {
        if (mine === seq.current) setPending(false);
      }
    },
    [search, label],
  );

  React.useEffect(() => {
    const term = text.trim();
    if (term.length < 2 || UUID.test(term)) {
      seq.current++;
      setResults(null);
      setPending(false);
      return;
    }
    const t = setTimeout(() => void run(term), 300);
    return () => clearTimeout(t);
  }, [text, run]);

  function choose(option: AuditSubjectOption) {
    onChange(option);
    setText("");
    setResults(null);
  }

  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const term = text.trim();
  const pastedId = UUID.test(term) ? term.toLowerCase() : null;

  if (value) {
    return (
      <div className="grid content-start gap-1.5">
        <span className="text-sm leading-none font-medium" id={`${id}-label`}>{label}</span>
        <div className="bg-muted flex h-9 min-w-0 items-center gap-2 rounded-md border px-3 text-sm" aria-labelledby={`${id}-label`} role="group">
          <span className="min-w-0 truncate" data-testid={`${id}-chosen`}>
            <span className="font-medium">{value.label}</span>
            {value.detail && <span className="text-muted-foreground"> · {value.detail}</span>}
          </span>
          <Button
            type="button"
            variant="ghost"
            size="icon"
            className="ml-auto size-7"
            aria-label={`Clear the ${label.toLowerCase()} filter`}
            onClick={() => {
              onChange(null);
              requestAnimationFrame(() => inputRef.current?.focus());
            }}
          >
            <XIcon aria-hidden />
          </Button>
        </div>
      </div>
    );
  }

  return (
    <div className="relative grid content-start gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      <div className="relative">
        <Input
          ref={inputRef}
          id={id}
          type="search"
          autoComplete="off"
          placeholder={placeholder}
          value={text}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : hintId}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") {
              e.preventDefault();
              listRef.current?.querySelector("button")?.focus();
            } else if (e.key === "Enter" && (results?.length || pastedId)) {
              // Enter picks the only (or first) match instead of submitting half a filter.
              e.preventDefault();
              if (pastedId) choose({ id: pastedId, label: pastedId, detail: "id" });
              else if (results?.[0]) choose(results[0]);
            }
          }}
        />
        {pending && <LoaderCircleIcon aria-hidden className="text-muted-foreground absolute top-1/2 right-3 size-4 -translate-y-1/2 animate-spin" />}
      </div>
      {error ? (
        <p id={errorId} className="text-destructive text-xs font-medium">{error.charAt(0).toUpperCase() + error.slice(1)}</p>
      ) : (
        <p id={hintId} className="text-muted-foreground text-xs">Type 2 letters of a name, or paste an id.</p>
      )}
      <p className="sr-only" role="status" aria-live="polite">
        {pending ? "Searching…" : results ? `${results.length} match${results.length === 1 ? "" : "es"}` : ""}
      </p>
      {(pastedId || results) && (
        <ul
          ref={listRef}
          aria-label={`Matching ${label.toLowerCase()}s`}
          className="bg-popover absolute top-full right-0 left-0 z-20 mt-1 grid max-h-72 gap-0.5 overflow-y-auto rounded-md border p-1 shadow-md"
          onKeyDown={(e) => {
            const buttons = [...(listRef.current?.querySelectorAll("button") ?? [])];
            const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
            if (e.key === "ArrowDown") {
              e.preventDefault();
              buttons[Math.min(i + 1, buttons.length - 1)]?.focus();
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              if (i <= 0) inputRef.current?.focus();
              else buttons[i - 1]?.focus();
            } else if (e.key === "Escape") {
              setResults(null);
              inputRef.current?.focus();
            }
          }}
        >
          {pastedId && (
            <li>
              <button type="button" className="hover:bg-accent focus-visible:bg-accent w-full rounded-sm px-2 py-1.5 text-left text-sm outline-none" onClick={() => choose({ id: pastedId, label: pastedId, detail: "id" })}>
                Use the id <span className="font-mono">{pastedId}</span>
              </button>
            </li>
          )}
          {results?.length === 0 && <li className="text-muted-foreground px-2 py-1.5 text-sm">No match. Check the spelling, or paste the id.</li>}
          {results?.map((r) => (
            <li key={r.id}>
              <button type="button" className="hover:bg-accent focus-visible:bg-accent grid w-full rounded-sm px-2 py-1.5 text-left text-sm outline-none" onClick={() => choose(r)}>
                <span className="font-medium">{r.label}</span>
                <span className="text-muted-foreground text-xs">{r.detail}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
