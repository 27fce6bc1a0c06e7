import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WASM and data files that must be loaded from node_modules at run time;
  // native and pg-based packages likewise stay outside the bundle.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "@node-rs/argon2", "pino", "kysely"],
  // NEXT_DIST_DIR lets two checkouts of work build side by side (default `.next`).
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  // src/proxy.ts sets the full set (CSP with a nonce, HSTS over https) on pages and API
  // answers; these cover what the proxy skips (static assets).
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
      // The API is not behind the proxy: JSON answers get their CSP and other headers from
      // src/core/http/respond.ts (a route's own Response sets its own, like the file
      // download's sandbox CSP); HSTS over https here.
      {
        source: "/api/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: "https.*" }],
        headers: [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }],
      },
    ];
  },
};

export default nextConfig;
