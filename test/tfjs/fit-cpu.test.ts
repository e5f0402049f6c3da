import { describeFitSuite } from "./scenarios.js";

describeFitSuite("cpu");
