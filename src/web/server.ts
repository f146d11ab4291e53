import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Backend } from "../agent/backend.js";
import type { ChannelState } from "../channels/index.js";
import { dashboardApp } from "./app.js";
import { ConversationRuns, type ConversationRunsOptions } from "./runs.js";
import { checkListenAddress, isLoopbackHost } from "./security.js";

export interface DashboardOptions {
  backend: Backend;
  /** Default 127.0.0.1. Anything but loopback needs a token. */
  host?: string;
  /** Default 8888; 0 = any free port. */
  port?: number;
  /** POCKETPAW_DASHBOARD_TOKEN; "" = none (loopback only). */
  token?: string;
  version: string;
  /** The configured model, preselected in the page's picker. */
  model?: string;
  runs?: ConversationRunsOptions;
  /** The chat channels' states, for /api/health. */
  channels?: () => ChannelState[];
}

/** The address cannot be listened on (taken, or not this machine's). */
export class ListenError extends Error {}

export interface Dashboard {
  /** e.g. "http://127.0.0.1:8888" */
  url: string;
  port: number;
  runs: ConversationRuns;
  /** Stops every run on the OpenCode server, then closes connections. The backend is the caller's. */
  close(): Promise<void>;
}

/** `pocketpaw serve`'s server: the dashboard and the HTTP API in one process, on one port. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? "";
  checkListenAddress(host, token);
  const runs = new ConversationRuns(options.backend, options.runs);
  const app = dashboardApp({
    backend: options.backend,
    runs,
    version: options.version,
    model: options.model ?? "",
    ...(options.channels ? { channels: options.channels } : {}),
    token,
    loopback: isLoopbackHost(host),
  });
  const server = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 8888 }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new ListenError(`Port ${options.port} on ${host} is already in use: choose another with --port (POCKETPAW_DASHBOARD_PORT).`)
          : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
            ? new ListenError(`${host} is not an address of this machine: choose another with --host (POCKETPAW_DASHBOARD_HOST).`)
            : error,
      );
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    runs,
    async close() {
      await runs.close();
      // Streams still open (a reader of a finished run, keep-alives) must not hold the exit.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
