import { defineEntry, env, home } from "../define.js";

/**
 * TensorFlow Datasets: `data_dir=` > TFDS_DATA_DIR > ~/tensorflow_datasets (`expanduser` when used).
 * Prepared datasets live in `<data_dir>/<name>/<config>/<version>/`, raw downloads in `<data_dir>/downloads`,
 * and unfinished builds carry the `.incomplete` suffix (`INCOMPLETE_SUFFIX`).
 * Source: tensorflow/datasets `tensorflow_datasets/core/constants.py` (`DATA_DIR`, `get_default_data_dir`,
 * `INCOMPLETE_SUFFIX`) @ 0a77a814ef4fca1310c6967f988be2e108c9b027.
 */
export default defineEntry({
  id: "tfds",
  library: "tensorflow-datasets",
  related: ["tensorflow"],
  locations: [
    {
      key: "data",
      candidates: [env("TFDS_DATA_DIR"), home("tensorflow_datasets")],
      target: "tensorflow_datasets",
      env: { TFDS_DATA_DIR: "{dir}" },
      rules: [{ glob: "**/*.incomplete*", kind: "noise", reason: "unfinished TFDS build (.incomplete suffix)" }],
    },
  ],
  notes: [
    "Load with tfds.load(name, download=False) so a missing dataset fails instead of being built on Lambda.",
    "{dir}/downloads holds the raw archives the dataset was prepared from; when only the prepared dataset is read, leave it out with --exclude '{dir}/downloads' to shrink the image.",
  ],
});
