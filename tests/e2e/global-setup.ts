import { ensureBuild } from "./support";

/**
 * One production build before any browser test file starts (they run two at a time, and two
 * builds into one folder would break each other). With E2E_REBUILD set, this is where the
 * rebuild happens; the files then find the build.
 */
export default function setup(): void {
  ensureBuild();
  process.env.E2E_REBUILD = "";
}
