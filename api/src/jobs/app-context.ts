import { loadConfig } from "../platform/config.js";
import { buildContext, type AppContext } from "../context.js";

/**
 * For one-shot jobs (`npm run reconcile`, `npm run maintenance`): the same validated
 * config and context as the server, or exit 1 with one line per problem.
 */
export function contextFromEnvironment(): AppContext {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`Invalid configuration:\n${loaded.problems.map((p) => `  ${p}`).join("\n")}\n`);
    process.exit(1);
  }
  return buildContext(loaded.config);
}
