import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: [".next/**", ".next-*/**", "node_modules/**", "data/**", "scratch/**", "next-env.d.ts", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    files: ["scripts/**", "bench/**", "server.ts"],
    rules: { "no-console": "off" },
  },
  {
    // One way in (docs/one-way-in.md): inside src/, only core/db and the named jobs below hold
    // the raw database handle; everything else reaches data through withUser / asService.
    files: ["src/**/*.ts", "src/**/*.tsx"],
    ignores: [
      "src/core/db/**",
      "src/core/audit/record.ts", // the audit drain (a job: service_role on its own client)
      "src/core/vitals/with-device.ts", // the wearable's way in (role authenticated, device claims)
      "src/app/api/health/route.ts", // liveness: `select 1`, no table
    ],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/core/db", "**/core/db/index", "**/core/db/engine", "@/core/db", "@/core/db/index", "@/core/db/engine", "../db", "../db/index", "../db/engine"],
              importNames: ["database", "initDatabase", "useDatabase", "closeDatabase", "openDatabase"],
              allowTypeImports: true,
              message: "The raw database handle is for src/core/db and named jobs only: use withUser (or asService, with a reason).",
            },
          ],
        },
      ],
    },
  },
);
