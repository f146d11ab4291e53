import { BackendError } from "../agent/errors.js";
import { type ChannelHandle, startChannels } from "../channels/index.js";
import { UnsafeListenError } from "../web/security.js";
import { ListenError, startDashboard } from "../web/server.js";
import { CliError, type CommonFlags, settingsFrom } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { backendFrom } from "./open-backend.js";
import { safeText } from "./safe-text.js";
import { VERSION } from "./version.js";

/** The line tests and scripts wait for before they connect. */
export const READY_PREFIX = "pocketpaw dashboard listening on ";

/** `pocketpaw serve`: the web dashboard, the HTTP API and the chat channels, until Ctrl-C or SIGTERM. */
export async function serve(flags: CommonFlags): Promise<number> {
  const settings = settingsFrom(flags);
  const { values } = settings;
  const backend = backendFrom(settings);
  let channels: ChannelHandle[] = [];
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard({
      backend,
      host: values.dashboardHost,
      port: values.dashboardPort,
      token: values.dashboardToken,
      version: VERSION,
      model: values.opencodeModel,
      channels: () => channels.map((c) => c.state()),
    });
  } catch (error) {
    await backend.close();
    if (error instanceof UnsafeListenError || error instanceof ListenError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }

  process.stdout.write(
    `${READY_PREFIX}${dashboard.url}${values.dashboardToken ? "  (open it once as /?token=<POCKETPAW_DASHBOARD_TOKEN>)" : ""}\n`,
  );
  // Not a reason to stop: the page shows the server's health, and the server may come up later.
  try {
    const { version, url } = await backend.health();
    process.stdout.write(`OpenCode ${safeText(version)} at ${url}\n`);
  } catch (error) {
    if (!(error instanceof BackendError)) throw error;
    process.stderr.write(`Warning: ${safeText(error.message)}\n`);
  }

  // Telegram and the other chat channels whose token is set, on the same backend; each says on
  // stderr how it goes, and one that cannot start does not stop the others or the dashboard.
  channels = await startChannels(settings, backend, { log: (line) => process.stderr.write(`${safeText(line)}\n`) });

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.stdout.write("Stopping: running turns are stopped on the OpenCode server…\n");
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await Promise.all(channels.map((c) => c.close()));
  await dashboard.close();
  await backend.close();
  return EXIT.ok;
}
