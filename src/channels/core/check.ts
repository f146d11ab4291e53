import type { Check } from "../../agent/backend.js";
import type { ChannelError } from "./types.js";

/**
 * `pocketpaw doctor`'s line for a platform that refused a token or could not be reached: what
 * the platform said, and what to do: `permanentFix` when trying again cannot help (the token
 * refused), else `otherFix` (by default, reaching `url` from here).
 */
export function failedCheck(name: string, problem: ChannelError, permanentFix: string, url: string, otherFix?: string): Check {
  return {
    name,
    status: "fail",
    detail: problem.message,
    fix: problem.permanent ? permanentFix : (otherFix ?? `Check that ${url} can be reached from here.`),
  };
}
