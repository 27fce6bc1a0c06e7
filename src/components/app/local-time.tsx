"use client";

import * as React from "react";

/**
 * An instant in the viewer's own time zone (formatted in the browser; the server renders
 * UTC until then, so the first paint is never a wrong local time).
 */
export function LocalTime({ value, seconds = false }: { value: string; seconds?: boolean }) {
  const [text, setText] = React.useState<string | null>(null);
  React.useEffect(() => {
    setText(
      new Date(value).toLocaleString(undefined, {
        year: "numeric",
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        second: seconds ? "2-digit" : undefined,
        timeZoneName: "short",
      }),
    );
  }, [value, seconds]);
  const iso = new Date(value).toISOString();
  return <time dateTime={iso}>{text ?? `${iso.slice(0, seconds ? 19 : 16).replace("T", " ")} UTC`}</time>;
}
