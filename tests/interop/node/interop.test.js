// A Node caller of factoryfinder's public API that has nothing but the repository's protos/
// folder: the services through @grpc/proto-loader, the google.rpc error details through
// protobufjs (proto-loader's own parser) from protos/vendor. It checks that every error detail
// our errors carry (ErrorInfo, BadRequest, QuotaFailure, RetryInfo) decodes from the
// `grpc-status-details-bin` trailer, and from a google.rpc.Status inside a streamed reply.
//
// Run by tests/interop/test_interop.py with FF_ENDPOINTS_FILE (the main stack) and
// FF_QUOTA_ENDPOINTS_FILE (a gateway allowed two image searches a day) set; without them
// every test skips.
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const test = require("node:test");
const zlib = require("node:zlib");

const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const protobuf = require("protobufjs");

const PROTOS = path.resolve(__dirname, "../../../protos");
const INCLUDE = [PROTOS, path.join(PROTOS, "vendor")];
const CONTRACTS = fs
  .readdirSync(path.join(PROTOS, "factoryfinder/v1"))
  .filter((name) => name.endsWith(".proto"))
  .map((name) => `factoryfinder/v1/${name}`);
const DEADLINE_MS = 60_000;
// The ErrorReasons a bad photo may get (errors.proto, photos section).
const IMAGE_REASONS = new Set([
  "NOT_AN_IMAGE",
  "IMAGE_CORRUPT",
  "IMAGE_TRUNCATED",
  "IMAGE_FORMAT_UNSUPPORTED",
  "INVALID_REQUEST",
]);
const NOT_A_PHOTO = Buffer.from("this is a shopping list, not a photo");

// --- the services, as any grpc-js caller loads them ---
const definition = protoLoader.loadSync(CONTRACTS, {
  includeDirs: INCLUDE,
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});
const { SearchService } = grpc.loadPackageDefinition(definition).factoryfinder.v1;

// --- the error details: google/rpc/*.proto from protos/vendor only ---
const types = new protobuf.Root();
types.resolvePath = (_origin, target) => {
  // google/protobuf/* are protobufjs's built-in well-known types; everything else must be here.
  const found = INCLUDE.map((dir) => path.join(dir, target)).find((p) => fs.existsSync(p));
  return found ?? target;
};
types.loadSync(["google/rpc/status.proto", "google/rpc/error_details.proto", ...CONTRACTS]);
const Status = types.lookupType("google.rpc.Status");
const ErrorReason = types.lookupEnum("factoryfinder.v1.ErrorReason");

/** The details of a google.rpc.Status, by type name: {"google.rpc.ErrorInfo": {...}, ...}. */
function details(status) {
  const decoded = {};
  for (const any of status.details ?? []) {
    const typeUrl = any.typeUrl ?? any.type_url;
    const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
    const type = types.lookupType(name); // throws for a detail type protos/ does not hold
    decoded[name] = type.toObject(type.decode(any.value), { defaults: true, longs: Number });
  }
  return decoded;
}

/** A failed call's google.rpc.Status, decoded from its grpc-status-details-bin trailer. */
function explain(error) {
  assert.ok(error, "the call succeeded; an error was expected");
  const [raw] = error.metadata.get("grpc-status-details-bin");
  assert.ok(Buffer.isBuffer(raw), `${error.code} ${error.details}: no grpc-status-details-bin`);
  const status = Status.decode(raw);
  assert.equal(status.code, error.code, "the trailer's code is the call's code");
  return { code: status.code, message: status.message, ...details(status) };
}

function endpoints(variable, t) {
  const file = process.env[variable];
  if (!file) {
    t.skip(`${variable} is not set: no running stack (tests/interop/test_interop.py sets it)`);
    return null;
  }
  const parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.ok(parsed.aggregator && parsed.api_key, `${file} lacks aggregator or api_key`);
  return parsed;
}

/** A client that sends `authorization: Bearer <key>` on every call (plaintext: localhost). */
function client(found, withKey = true) {
  const sendKey = (options, next) =>
    new grpc.InterceptingCall(next(options), {
      start(metadata, listener, start) {
        metadata.set("authorization", `Bearer ${found.api_key}`);
        start(metadata, listener);
      },
    });
  return new SearchService(found.aggregator, grpc.credentials.createInsecure(), {
    interceptors: withKey ? [sendKey] : [],
  });
}

function call(api, method, request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + DEADLINE_MS);
    api[method](request, { deadline }, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}

async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return explain(error);
  }
  assert.fail("the call succeeded; an error was expected");
}

// --- photos: seeded PNGs far apart in perceptual hash (no cache or near-duplicate reuse) ---
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A 640x480 RGB PNG: a light backdrop and a seeded mosaic "product" in its middle. */
function photo(seed) {
  let state = seed * 2654435761 + 1;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const [width, height, cells] = [640, 480, 6];
  const colours = Array.from({ length: cells * cells }, () =>
    [0, 1, 2].map(() => Math.floor(40 + 200 * random())),
  );
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const inside = x >= 120 && x < 520 && y >= 60 && y < 420;
      const cell = Math.floor(((x - 120) / 400) * cells) + cells * Math.floor(((y - 60) / 360) * cells);
      const rgb = inside ? colours[cell] : [235, 232, 228];
      raw.set(rgb, y * (width * 3 + 1) + 1 + x * 3);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// --- the tests ---
test("a photo is searched and offers come back", async (t) => {
  const found = endpoints("FF_ENDPOINTS_FILE", t);
  if (!found) return;
  const reply = await call(client(found), "SearchByImage", {
    photo: { imageData: photo(7), role: "PHOTO_ROLE_PRODUCT" },
    options: { pageSize: 20, locale: "en" },
  });
  assert.ok(reply.offers.length > 0, "no offers");
});

test("a bad photo is INVALID_ARGUMENT with ErrorInfo and BadRequest", async (t) => {
  const found = endpoints("FF_ENDPOINTS_FILE", t);
  if (!found) return;
  const problem = await failure(
    call(client(found), "SearchByImage", { photo: { imageData: NOT_A_PHOTO } }),
  );
  assert.equal(problem.code, grpc.status.INVALID_ARGUMENT);
  const info = problem["google.rpc.ErrorInfo"];
  assert.equal(info.domain, "factoryfinder");
  assert.ok(IMAGE_REASONS.has(info.reason), `reason ${info.reason}`);
  assert.ok(`ERROR_REASON_${info.reason}` in ErrorReason.values, `${info.reason} not in ErrorReason`);
  const violations = problem["google.rpc.BadRequest"].fieldViolations;
  assert.ok(violations.length > 0 && violations[0].field !== "", "BadRequest names no field");
});

test("a call without an API key is UNAUTHENTICATED with ErrorInfo", async (t) => {
  const found = endpoints("FF_ENDPOINTS_FILE", t);
  if (!found) return;
  const problem = await failure(call(client(found, false), "GetQuota", {}));
  assert.equal(problem.code, grpc.status.UNAUTHENTICATED);
  assert.equal(problem["google.rpc.ErrorInfo"].reason, "API_KEY_MISSING");
  assert.equal(problem["google.rpc.ErrorInfo"].domain, "factoryfinder");
});

test("a spent budget is RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo", async (t) => {
  const found = endpoints("FF_QUOTA_ENDPOINTS_FILE", t);
  if (!found) return;
  const api = client(found);
  let error = null;
  for (let seed = 300; seed < 312 && error === null; seed++) {
    await call(api, "SearchByImage", { photo: { imageData: photo(seed) } }).catch((e) => {
      error = e;
    });
  }
  const problem = explain(error);
  assert.equal(problem.code, grpc.status.RESOURCE_EXHAUSTED, problem.message);
  const info = problem["google.rpc.ErrorInfo"];
  assert.equal(info.domain, "factoryfinder");
  assert.ok(["QUOTA_EXHAUSTED", "TENANT_QUOTA_EXHAUSTED"].includes(info.reason), info.reason);
  const violations = problem["google.rpc.QuotaFailure"].violations;
  assert.ok(violations.length > 0 && violations[0].subject !== "", "QuotaFailure names no budget");
  const delay = problem["google.rpc.RetryInfo"].retryDelay;
  const seconds = delay.seconds + delay.nanos / 1e9;
  assert.ok(seconds > 0 && seconds <= 24 * 3600, `RetryInfo delay ${seconds}s`);
});

test("a bad photo in a batch is a google.rpc.Status in its reply, with details", async (t) => {
  const found = endpoints("FF_ENDPOINTS_FILE", t);
  if (!found) return;
  const stream = client(found).BatchSearch({ deadline: new Date(Date.now() + DEADLINE_MS) });
  const replies = [];
  const ended = new Promise((resolve, reject) => {
    stream.on("data", (reply) => replies.push(reply));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  stream.write({ itemId: "bad", photo: { imageData: NOT_A_PHOTO }, expectedTotal: 1 });
  stream.end();
  await ended;
  assert.equal(replies.length, 1);
  const [reply] = replies;
  assert.equal(reply.itemId, "bad");
  assert.equal(reply.outcome, "error");
  assert.equal(reply.error.code, grpc.status.INVALID_ARGUMENT);
  const info = details(reply.error)["google.rpc.ErrorInfo"];
  assert.ok(info && IMAGE_REASONS.has(info.reason), JSON.stringify(reply.error));
});
