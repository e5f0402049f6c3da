import { describeFitSuite } from "./scenarios.js";

describeFitSuite("wasm");
