"use client";

import * as React from "react";
import { XIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Input } from "@/components/ui/input";

/** Free-text tags (allergies): Enter or comma adds, Backspace on empty removes the last; each tag has a remove button. */
export function TagInput({
  id,
  value,
  onChange,
  placeholder,
  ...aria
}: {
  id?: string;
  value: string[];
  onChange: (tags: string[]) => void;
  placeholder?: string;
  "aria-invalid"?: boolean;
  "aria-describedby"?: string;
}) {
  const [draft, setDraft] = React.useState("");
  const add = () => {
    const t = draft.trim().replace(/,$/, "").trim();
    if (t && !value.some((v) => v.toLowerCase() === t.toLowerCase())) onChange([...value, t]);
    setDraft("");
  };
  return (
    <div className="grid gap-2">
      {value.length > 0 && (
        <ul className="flex flex-wrap gap-1.5" aria-label="Added">
          {value.map((tag) => (
            <li key={tag}>
              <Badge variant="allergy" className="gap-1 pr-1">
                {tag}
                <button
                  type="button"
                  className="hover:bg-destructive/20 rounded-sm p-0.5"
                  aria-label={`Remove ${tag}`}
                  onClick={() => onChange(value.filter((v) => v !== tag))}
                >
                  <XIcon aria-hidden className="size-3" />
                </button>
              </Badge>
            </li>
          ))}
        </ul>
      )}
      <Input
        id={id}
        value={draft}
        placeholder={placeholder}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={add}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === ",") {
            e.preventDefault();
            add();
          } else if (e.key === "Backspace" && !draft && value.length) {
            onChange(value.slice(0, -1));
          }
        }}
        {...aria}
      />
    </div>
  );
}
