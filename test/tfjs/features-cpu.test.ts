import { describeFitFeatures } from "./feature-scenarios.js";

describeFitFeatures("cpu");
