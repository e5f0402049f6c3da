import { describe, expect, it } from "vitest";
import { InvalidNameError } from "../../src/core/errors.js";
import { baseFilename, pathExtension, toFqnName } from "../../src/core/names.js";

describe("toFqnName follows Polyaxon's to_fqn_name", () => {
  it.each([
    ["val/acc", "val__acc"],
    ["val.acc", "val-acc"],
    ["my model (v2)", "my-model-v2"],
    ["Ünïcode", "Unicode"],
    ["train_loss", "train_loss"],
    ["a\\\\b//c", "a__b__c"],
    ["../../etc/passwd", "-__-__etc__passwd"],
    ["/abs/name", "__abs__name"],
    ["  spaced  out  ", "spaced-out"],
  ])("%j → %j", (input, expected) => expect(toFqnName(input)).toBe(expected));

  it("rejects names that are empty before or after sanitising", () => {
    expect(() => toFqnName("")).toThrow(InvalidNameError);
    expect(() => toFqnName("!!!")).toThrow(/empty once sanitised/);
  });
});

describe("file name helpers", () => {
  it("split at the first dot, lowercase the extension", () => {
    expect(baseFilename("/x/file.tar.gz")).toBe("file");
    expect(pathExtension("/x/file.tar.gz")).toBe("tar.gz");
    expect(pathExtension("model.v2.H5")).toBe("v2.h5");
    expect(pathExtension("noext")).toBe("");
  });
});
