import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { describe, test } from "node:test";
import { OpenCodeBackend } from "../../src/opencode/backend/backend.js";
import {
  compareVersions,
  isOpenCodeApiDoc,
  OLDEST_SUPPORTED,
  parseVersion,
  profileFor,
  supportOf,
  TESTED_VERSIONS,
} from "../../src/opencode/backend/server-profile.js";
import { UnsupportedVersionError } from "../../src/opencode/rest/errors.js";

describe("supportOf: is a server release supported", () => {
  test("every tested release is tested and usable", () => {
    for (const version of TESTED_VERSIONS) {
      const support = supportOf(version);
      assert.equal(support.status, "tested", version);
      assert.equal(support.usable, true);
      assert.match(support.summary, new RegExp(`^supported: OpenCode ${version.replace(/\./g, "\\.")} is tested`));
    }
  });

  test("1.0 and 1.1 are too old, with the advice to upgrade to 1.2 or later", () => {
    for (const version of ["1.1.65", "1.0.185", "0.15.3", "1.1.99"]) {
      const support = supportOf(version);
      assert.equal(support.status, "too_old", version);
      assert.equal(support.usable, false);
      assert.match(support.summary, /too old.*upgrade to 1\.2 or later/);
    }
  });

  test("releases between tested ones are supported; the oldest supported is 1.2.0", () => {
    for (const version of [OLDEST_SUPPORTED, "1.2.27", "1.10.0", "1.15.2", "1.18.0", "1.14.34-ohos"]) {
      assert.equal(supportOf(version).status, "supported", version);
      assert.equal(supportOf(version).usable, true);
    }
  });

  test("newer releases are driven, with a warning naming the newest tested", () => {
    for (const version of ["1.18.34", "1.19.0", "1.99.0"]) {
      const support = supportOf(version);
      assert.equal(support.status, "newer", version);
      assert.equal(support.usable, true);
      assert.match(support.summary, /newest tested release \(1\.18\.33\)/);
    }
  });

  test("OpenCode 2 is another program: refused, saying to run a 1.x server", () => {
    for (const version of ["2.0.0", "2.0.12", "3.1.0"]) {
      const support = supportOf(version);
      assert.equal(support.usable, false, version);
      assert.match(support.summary, /OpenCode 2.*opencode-ai@1/);
    }
  });

  test("what is not a release number (dev build, seed server) is unknown but usable", () => {
    for (const version of ["0.0.0-dev-202609", "seed-ndjson", "unknown", "", "local"]) {
      const support = supportOf(version);
      assert.equal(support.status, "unknown", version);
      assert.equal(support.usable, true);
    }
  });
});

describe("release numbers", () => {
  test("parseVersion reads x.y.z with an optional v and suffix", () => {
    assert.deepEqual(parseVersion("1.14.34"), [1, 14, 34]);
    assert.deepEqual(parseVersion("v1.2.6"), [1, 2, 6]);
    assert.deepEqual(parseVersion(" 1.15.13-beta.2 "), [1, 15, 13]);
    assert.equal(parseVersion("1.2"), undefined);
    assert.equal(parseVersion("0.0.0-main-abc"), undefined);
  });

  test("compareVersions orders numerically, not as text", () => {
    assert.ok(compareVersions("1.14.34", "1.2.6") > 0);
    assert.ok(compareVersions("1.2.6", "1.15.13") < 0);
    assert.equal(compareVersions("1.18.33", "v1.18.33"), 0);
    assert.ok(compareVersions("2.0.0", "1.99.99") > 0);
    const sorted = ["1.18.33", "1.2.6", "1.15.13", "1.14.34"].sort(compareVersions);
    assert.deepEqual(sorted, [...TESTED_VERSIONS]);
  });
});

describe("profileFor: the differences behaviour reads, in one place", () => {
  test("1.2.6 accepts a prompt to a session it no longer has: sessions are looked up before every run", () => {
    const { quirks, protocol, support, version } = profileFor("1.2.6");
    assert.equal(protocol, "events");
    assert.equal(version, "1.2.6");
    assert.equal(support.status, "tested");
    assert.deepEqual(quirks, { refusesPromptToMissingSession: false });
  });

  test("1.18.33 refuses such a prompt (404): a session found once is trusted until then", () => {
    assert.deepEqual(profileFor("1.18.33").quirks, { refusesPromptToMissingSession: true });
  });

  test("a release between two measured ones behaves like the older; a newer or unknown one like the newest", () => {
    for (const version of ["1.10.0", "1.14.34", "1.15.13", "1.18.32"]) {
      assert.deepEqual(profileFor(version).quirks, profileFor("1.2.6").quirks, version);
    }
    for (const version of ["1.18.34", "2.0.0", "0.0.0-dev-202609"]) {
      assert.deepEqual(profileFor(version).quirks, profileFor("1.18.33").quirks, version);
    }
    assert.deepEqual(profileFor("seed-ndjson", "ndjson").quirks, profileFor("1.18.33").quirks);
    assert.equal(profileFor("seed-ndjson", "ndjson").protocol, "ndjson");
  });

  test("the profile carries the release's support", () => {
    assert.deepEqual(profileFor("1.1.65").support, supportOf("1.1.65"));
    assert.equal(profileFor("1.19.0").support.status, "newer");
  });
});

describe("isOpenCodeApiDoc: recognising OpenCode before /global/health existed", () => {
  test("1.0.185's document is OpenCode's", () => {
    const doc = { openapi: "3.1.1", info: { title: "opencode", version: "0.0.3" }, paths: { "/global/event": {}, "/session": {} } };
    assert.equal(isOpenCodeApiDoc(doc), true);
  });

  test("anything else is not", () => {
    for (const doc of [
      undefined,
      null,
      "opencode",
      [],
      { info: { title: "other" }, paths: { "/session": {} } },
      { info: { title: "opencode" } },
      { info: { title: "opencode" }, paths: {} },
    ]) {
      assert.equal(isOpenCodeApiDoc(doc), false, JSON.stringify(doc));
    }
  });
});

describe("checkServer against what old releases answer (measured on 1.1.65 and 1.0.185)", () => {
  /** A loopback server answering `routes[path]` as JSON, else 500 `UnknownError` like 1.0-1.2 do. */
  async function withServer(routes: Record<string, unknown>, check: (url: string) => Promise<void>): Promise<void> {
    const server: Server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const known = path in routes;
      res.writeHead(known ? 200 : 500, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          known
            ? routes[path]
            : { name: "UnknownError", data: { message: "Error: Unable to connect. Is the computer able to access the url?" } },
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    try {
      await check(url);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  const refusal = async (url: string) => {
    const backend = new OpenCodeBackend({ baseUrl: url, timeoutMs: 5_000 });
    try {
      return await backend.checkServer().then(
        () => undefined,
        (e: unknown) => e,
      );
    } finally {
      await backend.close();
    }
  };

  test("1.1.65 reports its version on /global/health and is refused", () =>
    withServer({ "/global/health": { healthy: true, version: "1.1.65" } }, async (url) => {
      const error = await refusal(url);
      assert.ok(error instanceof UnsupportedVersionError, String(error));
      assert.equal(error.code, "unsupported_version");
      assert.equal(error.version, "1.1.65");
      assert.match(error.message, /is version 1\.1\.65: this OpenCode version is too old for pocketpaw; upgrade to 1\.2 or later/);
    }));

  test("1.0.185 has no /global/health (500 UnknownError) but its /doc gives it away", () =>
    withServer({ "/doc": { openapi: "3.1.1", info: { title: "opencode", version: "0.0.3" }, paths: { "/session": {} } } }, async (url) => {
      const error = await refusal(url);
      assert.ok(error instanceof UnsupportedVersionError, String(error));
      assert.match(error.message, /is version 1\.0\.x or older: .*no \/global\/health.*upgrade to 1\.2 or later/);
    }));

  test("a server that is no OpenCode at all keeps its own error", () =>
    withServer({}, async (url) => {
      const error = await refusal(url);
      assert.ok(error instanceof Error && !(error instanceof UnsupportedVersionError), String(error));
      assert.match(String(error), /UnknownError/);
    }));

  test("a supported release is profiled, not refused", () =>
    withServer({ "/global/health": { healthy: true, version: "1.15.13" } }, async (url) => {
      const backend = new OpenCodeBackend({ baseUrl: url, timeoutMs: 5_000 });
      try {
        const profile = await backend.checkServer();
        assert.equal(profile.support.status, "tested");
        assert.equal(profile.protocol, "events");
        assert.equal(profile.version, "1.15.13");
        assert.equal(backend.status().serverVersion, "1.15.13");
      } finally {
        await backend.close();
      }
    }));
});
