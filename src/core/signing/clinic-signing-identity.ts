import { createCipheriv, createDecipheriv, createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import forge from "node-forge";
import { deriveKey, loadConfig, type Config } from "../config";
import { asService } from "../db/with-user";
import type { Signer } from "@signpdf/utils";
import { CmsSigner } from "./cms-signer";
import { env } from "../config/env";

/**
 * Who signs prescription PDFs: the operator's PKCS #12 (SIGNING_P12_PATH and
 * SIGNING_P12_PASSWORD), or the clinic key generated on first use and kept in
 * app.signing_keys (0720), its private key sealed under a key derived from the root
 * secret. In the database, so every instance on one PostgreSQL signs with the same key;
 * loaded once per process, as a KeyObject (forgetSigningIdentity() after a rotation).
 */
export interface SigningIdentity {
  /** A CmsSigner; any @signpdf Signer fits (the bench compares P12Signer). */
  signer: Signer;
  /** The certificate's subject, as shown by pdfsig ("Signer Certificate Common Name"). */
  commonName: string;
  /** SHA-256 fingerprint of the signing certificate (colon-separated hex). */
  fingerprint: string;
  /** Bytes the CMS needs besides the signature: sizes the PDF's placeholder. */
  chainBytes: number;
  source: "generated" | "p12";
}

const PURPOSE = "prescriptions";
let generated: Promise<SigningIdentity> | undefined;
let fromFile: Promise<SigningIdentity> | undefined;

export async function signingIdentity(config: Config = loadConfig()): Promise<SigningIdentity> {
  if (config.signingP12Path) return (fromFile ??= Promise.resolve(identityFromP12(config.signingP12Path, config.signingP12Password ?? "")));
  if (!generated) {
    generated = loadOrGenerateSigningKey();
    generated.catch(() => (generated = undefined));
  }
  return generated;
}

/** Forgets the loaded identity (tests; after an operator rotated the key). */
export function forgetSigningIdentity(): void {
  fromFile = undefined;
  generated = undefined;
}

function identity(key: KeyObject, chainPem: string[], source: SigningIdentity["source"]): SigningIdentity {
  if (key.asymmetricKeyType !== "rsa") throw new Error("The signing key must be an RSA key.");
  const chainDer = chainPem.map((pem) => Buffer.from(new X509Certificate(pem).raw));
  const cert = new X509Certificate(chainPem[0]);
  if (!cert.checkPrivateKey(key)) throw new Error("The signing certificate does not belong to the signing key.");
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? cert.subject;
  return {
    signer: new CmsSigner(key, chainDer),
    commonName: cn,
    fingerprint: cert.fingerprint256,
    chainBytes: chainDer.reduce((n, d) => n + d.length, 0),
    source,
  };
}

// ---------------------------------------------------------------- the operator's PKCS #12

export function identityFromP12(file: string, password: string): SigningIdentity {
  const der = readFileSync(file);
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der.toString("binary")), password);
  } catch {
    throw new Error("SIGNING_P12_PATH could not be opened: not a PKCS #12 file, or SIGNING_P12_PASSWORD is wrong.");
  }
  const keyBag =
    p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag]?.[0] ??
    p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag]?.[0];
  if (!keyBag?.key) throw new Error("SIGNING_P12_PATH holds no RSA private key.");
  const key = createPrivateKey(forge.pki.privateKeyToPem(keyBag.key));
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [])
    .map((b) => b.cert)
    .filter((c): c is forge.pki.Certificate => !!c)
    .map((c) => forge.pki.certificateToPem(c));
  // the key's own certificate first, its issuers after
  const own = certs.findIndex((pem) => new X509Certificate(pem).checkPrivateKey(key));
  if (own < 0) throw new Error("SIGNING_P12_PATH holds no certificate for its private key.");
  const chain = [certs[own], ...certs.filter((_, i) => i !== own)];
  return identity(key, chain, "p12");
}

// ---------------------------------------------------------------- the generated clinic key

let sealKey: Buffer | undefined;
const sealingKey = () => (sealKey ??= deriveKey("signing-key"));

function sealPrivateKey(pem: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(), iv);
  const ct = Buffer.concat([cipher.update(pem, "utf8"), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url")}`;
}

function openPrivateKey(sealed: string): string {
  if (!sealed.startsWith("v1.")) throw new Error("Unknown sealed signing key format.");
  const raw = Buffer.from(sealed.slice(3), "base64url");
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

/** A self-signed certificate naming the clinic, valid ten years, for document signing. */
export function selfSignedCertificate(publicKeyPem: string, privateKeyPem: string, clinic: string, now = new Date()): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // a positive 16-byte serial
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000);
  const utf8 = (value: string) => ({ value: value.slice(0, 64), valueTagClass: forge.asn1.Type.UTF8 });
  const name = [
    { name: "commonName", ...utf8(`${clinic} (prescriptions)`) },
    { name: "organizationName", ...utf8(clinic) },
  ] as unknown as forge.pki.CertificateField[];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, nonRepudiation: true, critical: true },
    // emailProtection (what NSS checks for a signer) and id-kp-documentSigning (RFC 9336)
    { name: "extKeyUsage", emailProtection: true, "1.3.6.1.5.5.7.3.36": true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export function clinicName(): string {
  return env().CLINIC_NAME;
}

/** Reads the clinic key, generating and storing it first if there is none (race-safe across instances). */
export async function loadOrGenerateSigningKey(): Promise<SigningIdentity> {
  const read = () =>
    asService("document signing: the clinic's prescription-signing key", (tx) =>
      tx.selectFrom("app.signing_keys").select(["certificate_pem", "private_key_sealed"]).where("purpose", "=", PURPOSE).executeTakeFirst(),
    );
  let row = await read();
  if (!row) {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const certificate = selfSignedCertificate(publicKey.export({ type: "spki", format: "pem" }).toString(), privatePem, clinicName());
    // Several instances may get here at once: the first insert wins, everyone reads it back.
    await asService("document signing: generate the clinic's prescription-signing key", (tx) =>
      tx
        .insertInto("app.signing_keys")
        .values({ purpose: PURPOSE, certificate_pem: certificate, private_key_sealed: sealPrivateKey(privatePem) })
        .onConflict((oc) => oc.column("purpose").doNothing())
        .execute(),
    );
    row = await read();
    if (!row) throw new Error("The clinic's signing key could not be stored.");
  }
  return identity(createPrivateKey(openPrivateKey(row.private_key_sealed)), [row.certificate_pem], "generated");
}
