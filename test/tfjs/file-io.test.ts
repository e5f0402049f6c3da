import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fileIOHandler, registerFileRouter } from "../../src/adapters/tfjs.js";
import { ArtifactNotFoundError, PathEscapeError } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";
import { predict, tf, useBackend, xorData, xorModel } from "./helpers.js";

describe("file:// layout without tfjs-node", () => {
  const tmp = useTmp();
  beforeAll(() => useBackend("cpu"));

  it("registers nothing at import time; registerFileRouter makes model.save and loadLayersModel take file:// URLs", async () => {
    expect(tf.io.getSaveHandlers("file:///tmp/x")).toHaveLength(0); // runtrail/tfjs is imported above
    registerFileRouter(tf);
    registerFileRouter(tf); // idempotent
    expect(tf.io.getSaveHandlers("file:///tmp/x")).toHaveLength(1);
    expect(tf.io.getLoadHandlers("file:///tmp/x/model.json")).toHaveLength(1);

    const dir = join(tmp(), "nested", "model");
    const { xs, ys } = xorData(16);
    const model = xorModel();
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 });
    const result = await model.save(`file://${dir}`);
    expect(result.modelArtifactsInfo).toMatchObject({ modelTopologyType: "JSON", weightDataBytes: statSync(join(dir, "weights.bin")).size });
    expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    expect(Object.keys(json)).toEqual(["modelTopology", "weightsManifest", "format", "generatedBy", "convertedBy"]);
    expect(json.weightsManifest).toEqual([{ paths: ["weights.bin"], weights: expect.any(Array) }]);
    const again = await tf.loadLayersModel(`file://${dir}/model.json`);
    expect(predict(again, xs)).toEqual(predict(model, xs));
  });

  it("saves the training config and optimizer state with includeOptimizer, and tfjs restores them", async () => {
    registerFileRouter(tf);
    const dir = join(tmp(), "with-optimizer");
    const { xs, ys } = xorData(16);
    const model = xorModel();
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 });
    await model.save(`file://${dir}`, { includeOptimizer: true });
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    expect(Object.keys(json)).toEqual(["modelTopology", "weightsManifest", "format", "generatedBy", "convertedBy", "trainingConfig"]);
    expect(json.trainingConfig).toMatchObject({ loss: "binary_crossentropy", optimizer_config: { class_name: "Adam" } });
    const again = await tf.loadLayersModel(`file://${dir}/model.json`);
    const state = async (m: tf.LayersModel) => (await m.optimizer.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
    expect(await state(again)).toEqual(await state(model));
  });

  it("fileIOHandler loads from model.json or its folder, reads every listed shard, and refuses paths that leave the folder", async () => {
    const dir = tmp();
    const model = xorModel();
    await model.save(fileIOHandler(dir));
    const { xs } = xorData(8);
    expect(predict(await tf.loadLayersModel(fileIOHandler(dir)), xs)).toEqual(predict(model, xs));

    // Two shards, as the Python converter writes them.
    const sharded = join(tmp(), "sharded");
    mkdirSync(sharded);
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    const bin = readFileSync(join(dir, "weights.bin"));
    writeFileSync(join(sharded, "group1-shard1of2.bin"), bin.subarray(0, 20));
    writeFileSync(join(sharded, "group1-shard2of2.bin"), bin.subarray(20));
    json.weightsManifest[0].paths = ["group1-shard1of2.bin", "group1-shard2of2.bin"];
    writeFileSync(join(sharded, "model.json"), JSON.stringify(json));
    expect(predict(await tf.loadLayersModel(fileIOHandler(join(sharded, "model.json"))), xs)).toEqual(predict(model, xs));

    json.weightsManifest[0].paths = ["../escape.bin"];
    writeFileSync(join(sharded, "model.json"), JSON.stringify(json));
    await expect(fileIOHandler(sharded).load()).rejects.toBeInstanceOf(PathEscapeError);
    await expect(fileIOHandler(join(tmp(), "missing", "model.json")).load()).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it("writes weight data given as several shards one after the other into weights.bin, without a copy of its own", async () => {
    const dir = join(tmp(), "shards");
    const a = new Float32Array([1, 2, 3]);
    const b = new Float32Array([4.5]);
    const result = await fileIOHandler(dir).save({
      modelTopology: { class_name: "Sequential" },
      weightSpecs: [
        { name: "a", shape: [3], dtype: "float32" },
        { name: "b", shape: [1], dtype: "float32" },
      ],
      weightData: [a.buffer, new ArrayBuffer(0), b.buffer],
    });
    const bin = readFileSync(join(dir, "weights.bin"));
    expect(Array.from(new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)))).toEqual([1, 2, 3, 4.5]);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(16);
    const loaded = await fileIOHandler(dir).load();
    expect(Array.from(new Float32Array(loaded.weightData as ArrayBuffer))).toEqual([1, 2, 3, 4.5]);
  });
});
