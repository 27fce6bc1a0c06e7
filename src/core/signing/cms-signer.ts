import { createHash, sign as rsaSign, type KeyObject } from "node:crypto";
import forge from "node-forge";
import { Signer } from "@signpdf/utils";

const { asn1 } = forge;

/** A DER node: tag, length, content (the parts concatenated). */
function der(tag: number, ...parts: Buffer[]): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, ...parts]);
}
const seq = (...parts: Buffer[]) => der(0x30, ...parts);
const set = (...parts: Buffer[]) => der(0x31, ...parts);
const oid = (o: string) => der(0x06, Buffer.from(asn1.oidToDer(o).getBytes(), "binary"));
const octets = (bytes: Buffer) => der(0x04, bytes);
const int1 = () => Buffer.from([0x02, 0x01, 0x01]);
const NULL = Buffer.from([0x05, 0x00]);
const algorithm = (o: string) => seq(oid(o), NULL);
const utcTime = (d: Date) => der(0x17, Buffer.from(asn1.dateToUtcTime(d), "latin1"));

const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
};

/**
 * A detached CMS (PKCS #7) signer for PDF signatures, on node:crypto: the private key is a
 * KeyObject loaded once, the certificate's parts are parsed once, and each signature costs a
 * SHA-256 of the signed byte range plus one RSA signature. (@signpdf's P12Signer reparses
 * the PKCS #12 with node-forge and signs in JavaScript on every call: ~50 ms warm.)
 *
 * Signed attributes: content type, message digest, signing time, and the ESS
 * signing-certificate-v2 attribute (which binds the certificate, as PAdES asks).
 */
export class CmsSigner extends Signer {
  private readonly certificates: Buffer;
  private readonly signerId: Buffer;
  private readonly essCertV2: Buffer;

  /** `chainDer[0]` is the signer's certificate; the rest (if any) its issuers. */
  constructor(private readonly key: KeyObject, chainDer: Buffer[]) {
    super();
    if (chainDer.length === 0) throw new Error("A signer needs its certificate.");
    const cert = asn1.fromDer(forge.util.createBuffer(chainDer[0].toString("binary")), { strict: true, decodeBitStrings: false } as unknown as boolean);
    const tbs = (cert.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
    // tbsCertificate: [0] version (explicit, optional), serialNumber, signature, issuer, …
    const offset = tbs[0].tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
    const serial = Buffer.from(asn1.toDer(tbs[offset]).getBytes(), "binary");
    const issuer = Buffer.from(asn1.toDer(tbs[offset + 2]).getBytes(), "binary");
    this.signerId = seq(issuer, serial);
    // certificates [0] IMPLICIT SET OF Certificate: the certificates' own bytes
    this.certificates = der(0xa0, ...chainDer);
    const certHash = createHash("sha256").update(chainDer[0]).digest();
    // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }; ESSCertIDv2 ::=
    // SEQUENCE { certHash (SHA-256, the default algorithm, so not named), issuerSerial }
    const issuerSerial = seq(seq(der(0xa4, issuer)), serial);
    this.essCertV2 = seq(seq(seq(octets(certHash), issuerSerial)));
  }

  async sign(pdfBuffer: Buffer, signingTime: Date = new Date()): Promise<Buffer> {
    const digest = createHash("sha256").update(pdfBuffer).digest();
    // DER sorts a SET's members by their encodings
    const attributes = [
      seq(oid(OID.contentType), set(oid(OID.data))),
      seq(oid(OID.signingTime), set(utcTime(signingTime))),
      seq(oid(OID.messageDigest), set(octets(digest))),
      seq(oid(OID.signingCertificateV2), set(this.essCertV2)),
    ].sort(Buffer.compare);
    // The signature covers the attributes encoded as a SET; the SignerInfo carries the same
    // content under the [0] IMPLICIT tag.
    const signature = rsaSign("sha256", set(...attributes), this.key);
    const signerInfo = seq(int1(), this.signerId, algorithm(OID.sha256), der(0xa0, ...attributes), algorithm(OID.rsaEncryption), octets(signature));
    const signedData = seq(int1(), set(algorithm(OID.sha256)), seq(oid(OID.data)), this.certificates, set(signerInfo));
    return seq(oid(OID.signedData), der(0xa0, signedData));
  }
}
