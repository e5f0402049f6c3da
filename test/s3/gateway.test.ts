// Every suite that talks to the real gateway lives in this one file so they run in sequence:
// the resume suite kills and restarts radosgw, which would break suites running alongside it.
import { describeS3 } from "../helpers/s3-env.js";
import { cliSuite } from "./suites/cli.js";
import { liveRunSuite } from "./suites/live-run.js";
import { errorsSuite } from "./suites/errors.js";
import { multipartSuite } from "./suites/multipart.js";
import { resumeSuite } from "./suites/resume.js";
import { roundTripSuite } from "./suites/roundtrip.js";

describeS3("S3 store against the real gateway", (env) => {
  roundTripSuite(env);
  multipartSuite(env);
  errorsSuite(env);
  cliSuite(env);
  liveRunSuite(env);
  resumeSuite(env);
});
