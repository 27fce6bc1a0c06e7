import { createServer } from "node:net";
import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";

/**
 * A real SMTP server on a loopback port (smtp-server), keeping every message it accepts,
 * parsed with mailparser. `down()` stops listening (connections are refused), `up()`
 * listens again on the same port: an SMTP outage and its end. Recipients whose address
 * starts with "refused" are rejected for good (550), as an unknown mailbox is.
 */
export interface TestSmtp {
  port: number;
  url: string;
  mails: ParsedMail[];
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
  /** Waits until at least `n` mails arrived (or fails after `ms`). */
  waitFor(n: number, ms?: number): Promise<ParsedMail[]>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const port = await freePort();
  const mails: ParsedMail[] = [];
  let server: SMTPServer | undefined;
  const up = async () => {
    if (server) return; // already listening
    server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onAuth(auth, _session, cb) {
        cb(null, { user: auth.username });
      },
      onRcptTo(address, _session, cb) {
        if (address.address.startsWith("refused")) return cb(Object.assign(new Error("No such mailbox here"), { responseCode: 550 }));
        cb();
      },
      onData(stream, _session, cb) {
        simpleParser(stream)
          .then((m) => {
            mails.push(m);
            cb();
          })
          .catch(cb);
      },
    });
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once("error", (e) => {
        server = undefined;
        reject(e);
      });
      s.listen(port, "127.0.0.1", () => resolve());
    });
  };
  const down = async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await up();
  return {
    port,
    url: `smtp://mailer:secret@127.0.0.1:${port}`,
    mails,
    up,
    down,
    close: down,
    async waitFor(n, ms = 10_000) {
      const until = Date.now() + ms;
      while (mails.length < n) {
        if (Date.now() > until) throw new Error(`Expected ${n} mails, got ${mails.length}.`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return mails;
    },
  };
}
