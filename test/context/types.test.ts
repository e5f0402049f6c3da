import { describe, expectTypeOf, it } from "vitest";
import { readLogs, readResources, tracking, type CodeRef, type ContextOptions, type InitOptions, type LogLine, type V1RunArtifact } from "../../src/index.js";

describe("public types of the context API", () => {
  it("readers, options and the tracking facade", () => {
    expectTypeOf(readLogs).returns.resolves.toEqualTypeOf<LogLine[]>();
    expectTypeOf<Awaited<ReturnType<typeof readResources>>[number]["value"]>().toEqualTypeOf<number>();
    expectTypeOf<Awaited<ReturnType<typeof readResources>>[number]["step"]>().toEqualTypeOf<number | null>();
    expectTypeOf<InitOptions>().toMatchTypeOf<ContextOptions>();
    expectTypeOf(tracking.logProgress).parameters.toEqualTypeOf<[number]>();
    expectTypeOf(tracking.logCodeRef).returns.resolves.toEqualTypeOf<V1RunArtifact | undefined>();
    expectTypeOf<CodeRef["commit"]>().toEqualTypeOf<string>();
    expectTypeOf(tracking.logTags).toBeFunction();
    expectTypeOf(tracking.setName).toBeFunction();
    expectTypeOf(tracking.setDescription).toBeFunction();
    expectTypeOf(tracking.logEnv).returns.toEqualTypeOf<V1RunArtifact>();
  });
});
