import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_ATTACHMENT_BYTES } from "../../src/agent/backend.js";
import { BackendError } from "../../src/agent/errors.js";
import { ServerCatalog } from "../../src/opencode/backend/catalog.js";
import { turnRequest } from "../../src/opencode/backend/turn-request.js";
import { OpenCodeClient } from "../../src/opencode/rest/client.js";

describe("what a run sends", () => {
  test("a prompt: the text, then the files as data: URLs, the model as an object, the agent", () => {
    const request = turnRequest("look", {
      model: "fake/m",
      agent: "plan",
      systemPrompt: "be brief",
      files: [{ name: "a.txt", mime: "", data: new TextEncoder().encode("hi") }],
    });
    assert.equal(request.kind, "prompt");
    assert.deepEqual(request.body("msg_1"), {
      parts: [
        { type: "text", text: "look" },
        {
          type: "file",
          mime: "application/octet-stream",
          filename: "a.txt",
          url: `data:application/octet-stream;base64,${Buffer.from("hi").toString("base64")}`,
        },
      ],
      messageID: "msg_1",
      model: { providerID: "fake", modelID: "m" },
      agent: "plan",
      system: "be brief",
    });
  });

  test("a command: the message as its arguments, the model as a string (as that route wants it), a leading / dropped", () => {
    const request = turnRequest("src/", { model: "fake/m", agent: "", command: "/review" });
    assert.equal(request.kind, "command");
    assert.deepEqual(request.body("msg_2"), { command: "review", arguments: "src/", messageID: "msg_2", model: "fake/m" });
  });

  test("refused before anything is sent: a model not provider/model, a file without a name or too large", () => {
    const bad = (o: Parameters<typeof turnRequest>[1]) =>
      assert.throws(
        () => turnRequest("x", o),
        (e: unknown) => e instanceof BackendError && e.code === "bad_request",
      );
    bad({ model: "gpt4", agent: "" });
    bad({ model: "", agent: "", files: [{ name: "  ", mime: "text/plain", data: new Uint8Array(1) }] });
    bad({ model: "", agent: "", files: [{ name: "big", mime: "text/plain", data: new Uint8Array(MAX_ATTACHMENT_BYTES + 1) }] });
    assert.doesNotThrow(() =>
      turnRequest("x", { model: "", agent: "", files: [{ name: "max", mime: "text/plain", data: new Uint8Array(MAX_ATTACHMENT_BYTES) }] }),
    );
  });
});

describe("the server's agents and commands", () => {
  const agents = [
    { name: "build", mode: "primary", native: true, description: "default" },
    { name: "general", mode: "subagent", native: true, description: "helper" },
    { name: "title", mode: "primary", native: true, hidden: true },
    { name: "mine", mode: "all", native: false },
  ];
  function catalog(answer: (path: string) => Response): { catalog: ServerCatalog; calls: string[] } {
    const calls: string[] = [];
    const fetchStub: typeof fetch = async (input) => {
      const path = new URL(String(input)).pathname;
      calls.push(path);
      return answer(path);
    };
    return { catalog: new ServerCatalog(new OpenCodeClient({ baseUrl: "http://127.0.0.1:9", fetch: fetchStub })), calls };
  }
  const json = (value: unknown) => new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } });

  test("agents as AgentInfo, OpenCode's hidden ones left out; a run's check reuses the list for a while", async () => {
    const { catalog: c, calls } = catalog(() => json(agents));
    assert.deepEqual(await c.agents(), [
      { name: "build", description: "default", mode: "primary", builtIn: true },
      { name: "general", description: "helper", mode: "subagent", builtIn: true },
      { name: "mine", description: "", mode: "all", builtIn: false },
    ]);
    await c.checkAgent("build");
    await c.checkAgent("mine");
    await c.checkAgent("");
    assert.deepEqual(calls, ["/agent"], "one request");
    await assert.rejects(c.checkAgent("nope"), /no agent "nope"; the agents to choose from are build, mine\./);
    await assert.rejects(c.checkAgent("general"), /"general" is a subagent/);
    await assert.rejects(c.checkAgent("title"), /no agent "title"/);
  });

  test("a release without the route (the web page answers) is `unsupported`, not a broken server", async () => {
    const { catalog: c } = catalog(() => new Response("<!doctype html>", { headers: { "content-type": "text/html" } }));
    await assert.rejects(
      c.commands(),
      (e: unknown) => e instanceof BackendError && e.code === "unsupported" && /does not support listing commands/.test(e.message),
    );
  });

  test("an unknown command: bad_request naming the commands", async () => {
    const { catalog: c } = catalog(() =>
      json([
        { name: "init", template: "", hints: [] },
        { name: "review", template: "", hints: [] },
      ]),
    );
    await c.checkCommand("review");
    await assert.rejects(c.checkCommand("deploy"), /no command "\/deploy"; it has \/init, \/review\./);
  });
});
