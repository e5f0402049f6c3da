// The one place the read side takes a metric's last value from; the header-aware tail reader
// of src/core/read/tail.ts replaces this import when both halves of issue #12 meet.
export { lastMetricRow } from "../../ui/tail.js";
