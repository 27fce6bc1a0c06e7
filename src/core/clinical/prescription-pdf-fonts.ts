import { readFileSync } from "node:fs";
import path from "node:path";
import fontkit from "@pdf-lib/fontkit";
import type { PDFDocument, PDFFont, PDFPage, RGB } from "pdf-lib";

/**
 * Unicode text for the prescription PDF. The standard PDF fonts encode WinAnsi only, so a
 * name like "Zoë Łukasiewicz-Ødegård 王" printed as "?". The fonts ship with the app under
 * assets/fonts (licences beside them): DejaVu Sans (Latin, Greek, Cyrillic, …) first, and
 * Droid Sans Fallback for what it lacks (Chinese, Japanese, Korean). Each is embedded as a
 * subset of the glyphs used; the CJK font only when a character needs it. A character
 * neither font has prints as "?".
 */
const FONT_DIR = path.join(process.cwd(), "assets", "fonts");

interface FontFile {
  bytes: Uint8Array;
  covers(codePoint: number): boolean;
}

/**
 * pdf-lib parses a font with fontkit.create() for every document that embeds it (~60 ms for
 * these three). A parsed font is read-only (each subset is a new object), so one parse per
 * process serves every document: this fontkit returns the parsed font of known bytes.
 */
const parsed = new WeakMap<Uint8Array, ReturnType<typeof fontkit.create>>();
const cachingFontkit: typeof fontkit = {
  ...fontkit,
  create(bytes: Uint8Array, postscriptName?: string) {
    const known = postscriptName ? undefined : parsed.get(bytes);
    return known ?? fontkit.create(bytes, postscriptName);
  },
};

let files: { regular: FontFile; bold: FontFile; cjk: FontFile } | undefined;

function load(name: string): FontFile {
  const bytes = readFileSync(path.join(FONT_DIR, name));
  const font = fontkit.create(bytes);
  parsed.set(bytes, font);
  const known = new Map<number, boolean>();
  return {
    bytes,
    covers(cp) {
      let has = known.get(cp);
      if (has === undefined) known.set(cp, (has = font.hasGlyphForCodePoint(cp)));
      return has;
    },
  };
}

function fontFiles() {
  if (!files) {
    files = {
      regular: load("DejaVuSans.ttf"),
      bold: load("DejaVuSans-Bold.ttf"),
      cjk: load("DroidSansFallback.ttf"),
    };
    padSubsetGlyphs(parsed.get(files.cjk.bytes)!);
  }
  return files;
}

/**
 * Be careful here: a fix to @pdf-lib/fontkit 1.1.1. Its TrueType subsetter copies each glyph's
 * bytes as they are and writes a short `loca` table (offsets stored halved) whenever the
 * subset is small, so a glyph of odd length shifts every glyph after it: Droid Sans Fallback
 * (whose glyphs are not padded) printed as blank boxes while pdftotext still read the text.
 * TrueType asks for glyphs padded to an even length; this pads them as they are added.
 */
function padSubsetGlyphs(font: ReturnType<typeof fontkit.create>): void {
  type Subset = { glyf: Uint8Array[]; offset: number; _addGlyph(gid: number): number; __carebasePadded?: boolean };
  const proto = Object.getPrototypeOf(font.createSubset()) as Subset;
  if (proto.__carebasePadded || typeof proto._addGlyph !== "function") return;
  const addGlyph = proto._addGlyph;
  proto._addGlyph = function (this: Subset, gid: number) {
    const id = addGlyph.call(this, gid);
    const bytes = this.glyf[id];
    if (bytes && bytes.length % 2 === 1) {
      // the same Buffer class fontkit's own streams expect (its bundled polyfill, not Node's)
      const Bytes = bytes.constructor as unknown as { alloc(n: number): Uint8Array };
      const padded = Bytes.alloc(bytes.length + 1);
      padded.set(bytes);
      this.glyf[id] = padded;
      this.offset += 1;
    }
    return id;
  };
  proto.__carebasePadded = true;
}

interface Run {
  text: string;
  font: PDFFont;
}

export interface DrawOptions {
  x: number;
  y: number;
  size: number;
  bold?: boolean;
  color?: RGB;
}

/** The fonts of one document, and text drawn with a per-character fallback. */
export class PdfText {
  private regular!: PDFFont;
  private bold!: PDFFont;
  private cjk: PDFFont | undefined;

  private constructor(private readonly doc: PDFDocument) {}

  static async embed(doc: PDFDocument): Promise<PdfText> {
    doc.registerFontkit(cachingFontkit);
    const text = new PdfText(doc);
    const f = fontFiles();
    text.regular = await doc.embedFont(f.regular.bytes, { subset: true });
    text.bold = await doc.embedFont(f.bold.bytes, { subset: true });
    return text;
  }

  /**
   * Splits text into runs by the font that can draw each character. Call it (or width/draw)
   * for every string before saving: the CJK font is embedded on first need.
   */
  async runs(text: string, bold = false): Promise<Run[]> {
    const f = fontFiles();
    const latin = bold ? f.bold : f.regular;
    const runs: Run[] = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      let font: PDFFont;
      let out = ch;
      if (cp < 0x20 || cp === 0x7f) {
        font = bold ? this.bold : this.regular;
        out = " ";
      } else if (latin.covers(cp)) font = bold ? this.bold : this.regular;
      else if (f.cjk.covers(cp)) font = this.cjk ??= await this.doc.embedFont(f.cjk.bytes, { subset: true });
      else {
        font = bold ? this.bold : this.regular;
        out = "?";
      }
      const last = runs[runs.length - 1];
      if (last && last.font === font) last.text += out;
      else runs.push({ text: out, font });
    }
    return runs;
  }

  async width(text: string, size: number, bold = false): Promise<number> {
    let w = 0;
    for (const r of await this.runs(text, bold)) w += r.font.widthOfTextAtSize(r.text, size);
    return w;
  }

  async draw(page: PDFPage, text: string, o: DrawOptions): Promise<number> {
    let x = o.x;
    for (const r of await this.runs(text, o.bold)) {
      page.drawText(r.text, { x, y: o.y, size: o.size, font: r.font, color: o.color });
      x += r.font.widthOfTextAtSize(r.text, o.size);
    }
    return x;
  }
}
