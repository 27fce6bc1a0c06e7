import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WASM and data files that must be loaded from node_modules at run time;
  // native and pg-based packages likewise stay outside the bundle.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "@node-rs/argon2", "pino", "kysely"],
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
};

export default nextConfig;
