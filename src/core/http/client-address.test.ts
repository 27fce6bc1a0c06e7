import { describe, expect, it } from "vitest";
import {
  CLIENT_IP_HEADER,
  clientAddress,
  forwardedHost,
  forwardedProto,
  parseIpAddress,
  stampForwardedHeaders,
  trustedProxyHops,
} from "./client-address";

const PEER = "10.0.0.2"; // the socket's peer: the proxy, or the client itself without one

describe("TRUST_PROXY", () => {
  it.each([[undefined, 0], ["", 0], ["0", 0], ["false", 0], ["off", 0], [" 1 ", 1], ["2", 2], ["10", 10]])("%j means %i trusted proxies", (value, hops) => {
    expect(trustedProxyHops({ TRUST_PROXY: value })).toBe(hops);
  });
  it.each(["true", "yes", "on", "loopback", "10.0.0.0/8", "-1", "1.5", "01", "11", "1,2"])("refuses %j: a number of proxies is required", (value) => {
    expect(() => trustedProxyHops({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY must be the number of reverse proxies/);
  });
});

describe("the client address", () => {
  it("is the socket's peer without TRUST_PROXY, whatever X-Forwarded-For says", () => {
    expect(clientAddress("203.0.113.9", PEER, 0)).toBe(PEER);
    expect(clientAddress("203.0.113.9, 198.51.100.7", PEER, 0)).toBe(PEER);
  });
  it("is the rightmost entry behind one proxy: the address the proxy appended, not the client's own entries", () => {
    expect(clientAddress("198.51.100.7", PEER, 1)).toBe("198.51.100.7");
    expect(clientAddress("1.1.1.1, 2.2.2.2, 198.51.100.7", PEER, 1)).toBe("198.51.100.7");
  });
  it("is the n-th entry from the right behind n proxies", () => {
    // client-forged, the client as the CDN saw it, the CDN as the load balancer saw it
    const chain = "1.1.1.1, 198.51.100.7, 192.0.2.10";
    expect(clientAddress(chain, PEER, 1)).toBe("192.0.2.10");
    expect(clientAddress(chain, PEER, 2)).toBe("198.51.100.7");
    expect(clientAddress(chain, PEER, 3)).toBe("1.1.1.1");
  });
  it("is the leftmost entry when there are fewer entries than proxies (the request came in past an outer one)", () => {
    expect(clientAddress("198.51.100.7", PEER, 2)).toBe("198.51.100.7");
    expect(clientAddress("198.51.100.7, 192.0.2.10", PEER, 5)).toBe("198.51.100.7");
  });
  it("reads a header sent several times as one list", () => {
    expect(clientAddress(["1.1.1.1", "198.51.100.7"], PEER, 1)).toBe("198.51.100.7");
  });
  it("is the peer when the header is missing or the trusted entry is not an address", () => {
    expect(clientAddress(undefined, PEER, 1)).toBe(PEER);
    expect(clientAddress(null, PEER, 1)).toBe(PEER);
    expect(clientAddress("", PEER, 1)).toBe(PEER);
    expect(clientAddress("198.51.100.7, unknown", PEER, 1)).toBe(PEER);
    expect(clientAddress("198.51.100.7,", PEER, 1)).toBe(PEER);
    expect(clientAddress("<script>alert(1)</script>", PEER, 1)).toBe(PEER);
    expect(clientAddress("999.1.1.1", PEER, 1)).toBe(PEER);
    expect(clientAddress("1.2.3.4\r\nX-Evil: 1", PEER, 1)).toBe(PEER);
    expect(clientAddress(`${"1".repeat(100)}`, PEER, 1)).toBe(PEER);
    expect(clientAddress(undefined, undefined, 1)).toBe("");
  });
  it("understands IPv6, with or without brackets and a port, and IPv4 with a port", () => {
    expect(clientAddress("2001:DB8::1", PEER, 1)).toBe("2001:db8::1");
    expect(clientAddress("1.1.1.1, [2001:db8::1]:4711", PEER, 1)).toBe("2001:db8::1");
    expect(clientAddress("::ffff:198.51.100.7", PEER, 1)).toBe("::ffff:198.51.100.7");
    expect(clientAddress("198.51.100.7:4711", PEER, 1)).toBe("198.51.100.7");
    expect(clientAddress("2001:db8:::1", PEER, 1)).toBe(PEER);
    expect(clientAddress("fe80::1%eth0", PEER, 1)).toBe(PEER);
    expect(parseIpAddress("::1")).toBe("::1");
    expect(parseIpAddress("1:2")).toBeUndefined();
  });
});

describe("X-Forwarded-Proto and X-Forwarded-Host", () => {
  it("are not believed without TRUST_PROXY", () => {
    expect(forwardedProto("https", 0)).toBeUndefined();
    expect(forwardedHost("carebase.example", 0)).toBeUndefined();
  });
  it("are the entry the trusted proxy wrote", () => {
    expect(forwardedProto("https", 1)).toBe("https");
    expect(forwardedProto("HTTPS", 2)).toBe("https");
    // a client's "https" in front of what the proxy appended counts for nothing
    expect(forwardedProto("https, http", 1)).toBe("http");
    expect(forwardedHost("evil.example, carebase.example", 1)).toBe("carebase.example");
    expect(forwardedHost("Carebase.Example:8443", 1)).toBe("carebase.example:8443");
    expect(forwardedHost("[2001:db8::1]:8443", 1)).toBe("[2001:db8::1]:8443");
  });
  it("are ignored when they are not a scheme or a host", () => {
    expect(forwardedProto("ftp", 1)).toBeUndefined();
    expect(forwardedProto("", 1)).toBeUndefined();
    expect(forwardedHost("evil.example/path", 1)).toBeUndefined();
    expect(forwardedHost("user@evil.example", 1)).toBeUndefined();
    expect(forwardedHost("", 1)).toBeUndefined();
  });
});

describe("stamping a request (server.ts)", () => {
  it("without TRUST_PROXY: the peer's address, and every forwarded header removed", () => {
    const headers: Record<string, string | string[] | undefined> = {
      host: "carebase.example",
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-host": "evil.example",
      "x-forwarded-proto": "https",
      "x-forwarded-port": "443",
      [CLIENT_IP_HEADER]: "203.0.113.1",
    };
    stampForwardedHeaders(headers, PEER, 0);
    expect(headers).toEqual({ host: "carebase.example", [CLIENT_IP_HEADER]: PEER });
  });
  it("behind a proxy: the address it appended, and only its own scheme and host left for Next and the realtime hub", () => {
    const headers: Record<string, string | string[] | undefined> = {
      host: "carebase.example",
      "x-forwarded-for": "203.0.113.9, 198.51.100.7",
      "x-forwarded-host": "evil.example, carebase.example",
      "x-forwarded-proto": "https, http",
      [CLIENT_IP_HEADER]: "203.0.113.1",
    };
    stampForwardedHeaders(headers, PEER, 1);
    expect(headers).toMatchObject({ [CLIENT_IP_HEADER]: "198.51.100.7", "x-forwarded-host": "carebase.example", "x-forwarded-proto": "http" });
    const garbage: Record<string, string | string[] | undefined> = { "x-forwarded-proto": "javascript", "x-forwarded-host": "a b" };
    stampForwardedHeaders(garbage, PEER, 1);
    expect(garbage).toEqual({ [CLIENT_IP_HEADER]: PEER });
  });
});
