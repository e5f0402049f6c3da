import { describeFitFeatures } from "./feature-scenarios.js";

describeFitFeatures("wasm");
