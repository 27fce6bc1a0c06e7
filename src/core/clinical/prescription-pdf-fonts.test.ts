import { execFileSync } from "node:child_process";
import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { PdfText } from "./prescription-pdf-fonts";

/** Dark pixels of page 1 rendered by poppler (pdftoppm, grey): what a printout shows, not what pdftotext reads. */
function inkOf(pdf: Uint8Array): number {
  const pgm = execFileSync("pdftoppm", ["-r", "72", "-gray", "-f", "1", "-l", "1", "-"], { input: Buffer.from(pdf) });
  // P5\n<w> <h>\n255\n<pixels>
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString("latin1"));
  if (!header) throw new Error("not a PGM");
  const pixels = pgm.subarray(header[0].length);
  let dark = 0;
  for (const p of pixels) if (p < 128) dark++;
  return dark;
}

async function drawn(text: string): Promise<{ pdf: Uint8Array; ink: number }> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([400, 60]);
  const t = await PdfText.embed(doc);
  await t.draw(page, text, { x: 10, y: 20, size: 16 });
  const pdf = await doc.save();
  return { pdf, ink: inkOf(pdf) };
}

describe("Unicode text in PDFs (issue #15, item 6)", () => {
  it("reads back every script it draws (pdftotext), with the CJK font only where DejaVu lacks a glyph", async () => {
    const { pdf } = await drawn("Zoë Łukasiewicz-Ødegård 王");
    expect(execFileSync("pdftotext", ["-enc", "UTF-8", "-", "-"], { input: Buffer.from(pdf) }).toString("utf8").trim()).toBe("Zoë Łukasiewicz-Ødegård 王");
  });

  it("prints CJK glyphs as ink, not blank boxes (the subset's glyphs are padded)", async () => {
    const blank = await drawn(" ");
    for (const s of ["王", "花粉", "薬"]) {
      const { ink } = await drawn(s);
      expect(ink, s).toBeGreaterThan(blank.ink + 40);
    }
  });
});
