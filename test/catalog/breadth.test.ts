import { describe, expect, it } from "vitest";
import { classify } from "../../src/discover/classify.js";
import { formatEnv, planEnv } from "../../src/dockerfile/env-block.js";
import { renderDockerfile } from "../../src/dockerfile/render.js";
import { loadTemplate } from "../../src/dockerfile/template.js";
import type { Lock } from "../../src/lock/lock.js";
import { input } from "./support.js";

/**
 * The libraries added for issue 18 seen together, the way one discover run that touched all of them would
 * report them: which assets, which skips, and the exact ENV block the Dockerfile gets from them.
 */

/** One file at each new library's default location (HOME=/root, no variables set). */
const RUN = [
  "/root/scikit_learn_data/cal_housing_py3.pkz",
  "/root/.cache/seaborn/tips.csv",
  "/root/tensorflow_datasets/mnist/3.0.1/dataset_info.json",
  "/root/nilearn_data/haxby2001/subj2/bold.nii.gz",
  "/root/mne_data/MNE-sample-data/version.txt",
  "/root/.cache/astropy/download/url/0a1b/contents",
  "/root/.u2net/u2net.onnx",
  "/root/.deepface/weights/vgg_face_weights.h5",
  "/root/.cache/clip/ViT-B-32.pt",
  "/root/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx/model.onnx",
  "/root/.cache/scikit-image/0.24.0/data/astronaut.png",
  "/root/.cache/scipy-data/ascent.dat",
  "/root/.cache/librosa/trumpet.ogg",
  "/root/.flair/models/ner-english/pytorch_model.bin",
  "/root/.cache/modelscope/hub/iic/emotion2vec/model.pt",
  "/root/.cache/doctr/models/db_resnet50-79bd7d70.pt",
];

function lockOf(files: readonly string[], env: Record<string, string> = {}): Lock {
  const result = classify(input(files, { env }));
  return {
    schemaVersion: 1,
    runner: "docker",
    image: "python:3.12",
    command: ["python", "app.py"],
    assetRoot: "/cache",
    assets: result.assets.map((a) => ({
      id: a.id,
      library: a.library,
      source: a.source,
      target: a.target,
      env: a.env,
      files: 1,
      bytes: 1,
      digest: `sha256:${"0".repeat(64)}`,
    })),
    skipped: [],
  };
}

describe("catalog breadth: one run touching every new library", () => {
  it("claims every folder, one asset per library, nothing unknown", () => {
    const result = classify(input(RUN));
    expect(result.unknownRoots).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(result.assets.map((a) => [a.id, a.target])).toEqual([
      ["astropy", "astropy"],
      ["chromadb", "chroma/onnx_models"],
      ["deepface", "deepface/.deepface"],
      ["doctr", "doctr"],
      ["flair", "flair"],
      ["librosa", "librosa"],
      ["mne", "mne_data"],
      ["modelscope", "modelscope"],
      ["nilearn", "nilearn_data"],
      ["open-clip", "clip"],
      ["rembg", "u2net"],
      ["scikit-image", "scikit-image"],
      ["scikit-learn", "scikit_learn_data"],
      ["scipy", "scipy-data"],
      ["seaborn", "seaborn-data"],
      ["tfds", "tensorflow_datasets"],
    ]);
  });

  it("plans exactly these Dockerfile ENV values, without conflicts (Lambda target)", () => {
    const plan = planEnv(lockOf(RUN), "/cache", true);
    expect(plan.warnings).toEqual([]);
    expect(plan.env).toEqual({
      ASTROPY_CACHE_DIR: "/cache/astropy",
      DEEPFACE_HOME: "/cache/deepface",
      DOCTR_CACHE_DIR: "/cache/doctr",
      FLAIR_CACHE_ROOT: "/cache/flair",
      HOME: "/tmp",
      LIBROSA_DATA_DIR: "/cache/librosa",
      MNE_DATA: "/cache/mne_data",
      MNE_DONTWRITE_HOME: "true",
      MODELSCOPE_CACHE: "/cache/modelscope",
      MPLCONFIGDIR: "/tmp/matplotlib",
      NILEARN_SHARED_DATA: "/cache/nilearn_data",
      NUMBA_CACHE_DIR: "/tmp/numba_cache",
      SCIKIT_LEARN_DATA: "/cache/scikit_learn_data",
      SEABORN_DATA: "/cache/seaborn-data",
      SKIMAGE_DATADIR: "/cache/scikit-image",
      TFDS_DATA_DIR: "/cache/tensorflow_datasets",
      U2NET_HOME: "/cache/u2net",
      XDG_CACHE_HOME: "/cache",
    });
  });

  it("re-bases every variable onto another asset root", () => {
    const plan = planEnv(lockOf(RUN), "/opt/ml", false);
    expect(plan.env).toMatchObject({
      ASTROPY_CACHE_DIR: "/opt/ml/astropy",
      DEEPFACE_HOME: "/opt/ml/deepface",
      SCIKIT_LEARN_DATA: "/opt/ml/scikit_learn_data",
      XDG_CACHE_HOME: "/opt/ml",
    });
    expect(plan.env).not.toHaveProperty("HOME");
  });

  it("renders the ENV block and the notes that name the baked paths (generic target)", async () => {
    const lock = lockOf(RUN);
    const rendered = renderDockerfile(
      lock,
      {
        target: "generic",
        base: "python:3.12-slim",
        handler: "",
        cmd: ["python", "app.py"],
        copy: ["app.py"],
        link: false,
        version: "0.0.0-test",
        assetImage: { from: `sha256:${"b".repeat(64)}`, pin: "image-id", name: "assets", source: "load" },
      },
      await loadTemplate("generic"),
    );
    const block = formatEnv(planEnv(lock, "/cache", false).env);
    expect(rendered.dockerfile).toContain(`${block}\n`);
    expect(block.split("\n")[0]).toBe("ENV ASTROPY_CACHE_DIR=/cache/astropy \\");
    expect(block).toContain("    SCIKIT_LEARN_DATA=/cache/scikit_learn_data \\");
    expect(rendered.dockerfile).toContain(
      "COPY --from=mlpack-assets /cache/scikit_learn_data /cache/scikit_learn_data",
    );
    const notes = rendered.notes.map((n) => `${n.library}: ${n.note}`).join("\n");
    expect(notes).toContain("pathlib.Path('/cache/chroma/onnx_models') / 'all-MiniLM-L6-v2'");
    expect(notes).toContain("clip.load(name, download_root='/cache/clip')");
    expect(notes).toContain("/cache/deepface/.deepface/weights");
    expect(notes).toContain("download_if_missing=False");
    expect(notes).toContain("astropy.utils.iers.conf.auto_download = False");
    expect(notes).not.toMatch(/\{(dir|parent)\}/);
  });
});

describe("catalog breadth: skips and search lists", () => {
  it("TFDS unfinished builds, chromadb's extracted archive, MNE and astropy config, evaluate scratch are not packaged", () => {
    const result = classify(
      input([
        "/root/tensorflow_datasets/mnist/3.0.1.incompleteXQ2B1/mnist-train.tfrecord",
        "/root/tensorflow_datasets/mnist/3.0.1/dataset_info.json",
        "/root/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx.tar.gz",
        "/root/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx/model.onnx",
        "/root/.mne/mne-python.json",
        "/root/.astropy/config/astropy.cfg",
        "/root/.config/astropy/astropy.cfg",
        "/root/.cache/huggingface/metrics/accuracy/default/cache.arrow",
        "/root/.cache/huggingface/evaluate/downloads/x.json",
      ]),
    );
    expect(result.unknownRoots).toEqual([]);
    expect(result.skipped.map((s) => s.path)).toEqual([
      "/root/.astropy/config",
      "/root/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx.tar.gz",
      "/root/.cache/huggingface/metrics",
      "/root/.config/astropy",
      "/root/.mne",
      "/root/tensorflow_datasets/mnist/3.0.1.incompleteXQ2B1",
    ]);
    expect(result.skipped.find((s) => s.path === "/root/.mne")?.reason).toMatch(/^noise: MNE config/);
    expect(result.assets.map((a) => a.id)).toEqual(["chromadb", "huggingface", "tfds"]);
    // The skip rules travel with the asset, so staging and export drop the same files.
    const chroma = result.assets.find((a) => a.id === "chromadb");
    expect(chroma?.skipRules.map((r) => r.pattern)).toContain("*/onnx.tar.gz");
  });

  it("a moved HF_METRICS_CACHE is noise too, and ASTROPY_CONFIG_DIR moves astropy's config", () => {
    const result = classify(
      input(["/scratch/metrics/accuracy/cache.arrow", "/etc-astropy/astropy.cfg"], {
        env: { HF_METRICS_CACHE: "/scratch/metrics", ASTROPY_CONFIG_DIR: "/etc-astropy" },
      }),
    );
    expect(result.assets).toEqual([]);
    expect(result.skipped.map((s) => s.path)).toEqual(["/etc-astropy", "/scratch/metrics"]);
  });

  it("nilearn data found in two search-list folders gets both in NILEARN_SHARED_DATA", () => {
    const result = classify(
      input(["/n1/haxby2001/a.nii.gz", "/root/nilearn_data/fsaverage/b.gii"], {
        env: { NILEARN_DATA: "/n1" },
      }),
    );
    const nilearn = result.assets.filter((a) => a.library === "nilearn");
    expect(nilearn).toHaveLength(2);
    const values = new Set(nilearn.map((a) => a.env.NILEARN_SHARED_DATA));
    expect(values.size).toBe(1);
    const [joined] = [...values];
    expect(joined?.split(":").sort()).toEqual(nilearn.map((a) => `/cache/${a.target}`).sort());
  });

  it("an empty SKIMAGE_DATADIR falls back to the pooch cache, as pooch does", () => {
    const [asset] = classify(
      input(["/root/.cache/scikit-image/0.24.0/data/camera.png"], { env: { SKIMAGE_DATADIR: "" } }),
    ).assets;
    expect(asset).toMatchObject({ id: "scikit-image", source: "/root/.cache/scikit-image" });
  });
});
