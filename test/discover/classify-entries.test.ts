import { describe, expect, it } from "vitest";
import { CATALOG } from "../../src/catalog/index.js";
import { classify } from "../../src/discover/classify.js";
import { HF_DEFAULT_ENV, input } from "../catalog/support.js";

interface Row {
  name: string;
  /** Catalog entry the row exercises (every entry with a cache location must appear). */
  entry: string;
  env?: Record<string, string>;
  home?: string;
  file: string;
  id: string;
  library?: string;
  source: string;
  target: string;
  /** Exact ENV of the asset. */
  assetEnv: Record<string, string>;
  layering?: "single" | "hf-repos";
}

const HF_STATIC = {
  HF_HUB_OFFLINE: "1",
  TRANSFORMERS_OFFLINE: "1",
  HF_DATASETS_OFFLINE: "1",
  HF_HUB_DISABLE_TELEMETRY: "1",
  HF_XET_CACHE: "/tmp/hf_xet",
};
const REPO = "models--sentence-transformers--all-MiniLM-L6-v2";

// prettier-ignore
const rows: Row[] = [
  // huggingface_hub: default, HF_HOME, XDG_CACHE_HOME, expandvars in HF_HOME
  {
    name: "hf default",
    entry: "huggingface",
    file: `/root/.cache/huggingface/hub/${REPO}/blobs/ab12`,
    id: "huggingface",
    source: "/root/.cache/huggingface",
    target: "huggingface",
    assetEnv: HF_DEFAULT_ENV,
    layering: "hf-repos",
  },
  {
    name: "hf HF_HOME",
    entry: "huggingface",
    env: { HF_HOME: "/models/hf" },
    file: `/models/hf/hub/${REPO}/refs/main`,
    id: "huggingface",
    source: "/models/hf",
    target: "huggingface",
    assetEnv: HF_DEFAULT_ENV,
    layering: "hf-repos",
  },
  {
    name: "hf XDG_CACHE_HOME",
    entry: "huggingface",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: `/xdg/huggingface/hub/${REPO}/refs/main`,
    id: "huggingface",
    source: "/xdg/huggingface",
    target: "huggingface",
    assetEnv: HF_DEFAULT_ENV,
    layering: "hf-repos",
  },
  {
    name: "hf HF_HOME beats XDG",
    entry: "huggingface",
    env: { HF_HOME: "~/hf", XDG_CACHE_HOME: "/xdg" },
    file: `/root/hf/hub/${REPO}/refs/main`,
    id: "huggingface",
    source: "/root/hf",
    target: "huggingface",
    assetEnv: HF_DEFAULT_ENV,
    layering: "hf-repos",
  },
  {
    name: "hf HF_HOME with $VAR",
    entry: "huggingface",
    env: { BASE: "/srv", HF_HOME: "$BASE/hf" },
    file: `/srv/hf/hub/${REPO}/refs/main`,
    id: "huggingface",
    source: "/srv/hf",
    target: "huggingface",
    assetEnv: HF_DEFAULT_ENV,
    layering: "hf-repos",
  },
  {
    name: "hf modules (trust_remote_code)",
    entry: "huggingface",
    file: "/root/.cache/huggingface/modules/transformers_modules/x/__init__.py",
    id: "huggingface",
    source: "/root/.cache/huggingface",
    target: "huggingface",
    assetEnv: { ...HF_DEFAULT_ENV, HF_MODULES_CACHE: "/cache/huggingface/modules" },
    layering: "single",
  },
  // datasets: inside HF_HOME by default, its own asset when HF_DATASETS_CACHE moves it out
  {
    name: "datasets default",
    entry: "datasets",
    file: "/root/.cache/huggingface/datasets/squad/plain_text/0.0.0/abc/squad-train.arrow",
    id: "huggingface",
    library: "huggingface",
    source: "/root/.cache/huggingface",
    target: "huggingface",
    assetEnv: { ...HF_DEFAULT_ENV, HF_DATASETS_CACHE: "/cache/huggingface/datasets" },
  },
  {
    name: "datasets HF_DATASETS_CACHE",
    entry: "datasets",
    env: { HF_DATASETS_CACHE: "/data/ds" },
    file: "/data/ds/squad/x.arrow",
    id: "datasets",
    source: "/data/ds",
    target: "hf_datasets",
    assetEnv: { HF_DATASETS_CACHE: "/cache/hf_datasets", HF_DATASETS_OFFLINE: "1", HF_HUB_OFFLINE: "1" },
  },
  {
    name: "datasets XDG_CACHE_HOME",
    entry: "datasets",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/huggingface/datasets/squad/x.arrow",
    id: "huggingface",
    library: "huggingface",
    source: "/xdg/huggingface",
    target: "huggingface",
    assetEnv: { ...HF_DEFAULT_ENV, HF_DATASETS_CACHE: "/cache/huggingface/datasets" },
  },
  // sentence-transformers: <=2.2.2 flat dirs under torch home; SENTENCE_TRANSFORMERS_HOME (hub layout in >=2.3)
  {
    name: "st legacy default",
    entry: "sentence-transformers",
    file: "/root/.cache/torch/sentence_transformers/sentence-transformers_all-MiniLM-L6-v2/config.json",
    id: "sentence-transformers",
    source: "/root/.cache/torch/sentence_transformers",
    target: "sentence_transformers",
    assetEnv: { SENTENCE_TRANSFORMERS_HOME: "/cache/sentence_transformers", HF_HUB_OFFLINE: "1" },
  },
  {
    name: "st SENTENCE_TRANSFORMERS_HOME",
    entry: "sentence-transformers",
    env: { SENTENCE_TRANSFORMERS_HOME: "/st" },
    file: `/st/${REPO}/blobs/ab`,
    id: "sentence-transformers",
    source: "/st",
    target: "sentence_transformers",
    assetEnv: { SENTENCE_TRANSFORMERS_HOME: "/cache/sentence_transformers", HF_HUB_OFFLINE: "1" },
    layering: "hf-repos",
  },
  {
    name: "st legacy TORCH_HOME",
    entry: "sentence-transformers",
    env: { TORCH_HOME: "/th" },
    file: "/th/sentence_transformers/org_name/config.json",
    id: "sentence-transformers",
    source: "/th/sentence_transformers",
    target: "sentence_transformers",
    assetEnv: { SENTENCE_TRANSFORMERS_HOME: "/cache/sentence_transformers", HF_HUB_OFFLINE: "1" },
  },
  {
    name: "st legacy XDG",
    entry: "sentence-transformers",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/torch/sentence_transformers/org_name/config.json",
    id: "sentence-transformers",
    source: "/xdg/torch/sentence_transformers",
    target: "sentence_transformers",
    assetEnv: { SENTENCE_TRANSFORMERS_HOME: "/cache/sentence_transformers", HF_HUB_OFFLINE: "1" },
  },
  // torch hub / torchvision / timm URL weights
  {
    name: "torch default",
    entry: "torch",
    file: "/root/.cache/torch/hub/checkpoints/resnet50-0676ba61.pth",
    id: "torch",
    source: "/root/.cache/torch",
    target: "torch",
    assetEnv: { TORCH_HOME: "/cache/torch" },
  },
  {
    name: "torch TORCH_HOME",
    entry: "torch",
    env: { TORCH_HOME: "/opt/torch", XDG_CACHE_HOME: "/xdg" },
    file: "/opt/torch/hub/checkpoints/r.pth",
    id: "torch",
    source: "/opt/torch",
    target: "torch",
    assetEnv: { TORCH_HOME: "/cache/torch" },
  },
  {
    name: "torch XDG",
    entry: "torch",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/torch/hub/checkpoints/r.pth",
    id: "torch",
    source: "/xdg/torch",
    target: "torch",
    assetEnv: { TORCH_HOME: "/cache/torch" },
  },
  // nltk: a search list
  {
    name: "nltk default",
    entry: "nltk",
    file: "/root/nltk_data/tokenizers/punkt_tab/english/collocations.tab",
    id: "nltk",
    source: "/root/nltk_data",
    target: "nltk_data",
    assetEnv: { NLTK_DATA: "/cache/nltk_data" },
  },
  {
    name: "nltk NLTK_DATA list",
    entry: "nltk",
    env: { NLTK_DATA: "/a:/b" },
    file: "/b/corpora/wordnet.zip",
    id: "nltk",
    source: "/b",
    target: "nltk_data",
    assetEnv: { NLTK_DATA: "/cache/nltk_data" },
  },
  {
    name: "nltk sys.prefix",
    entry: "nltk",
    file: "/var/lang/nltk_data/corpora/stopwords.zip",
    id: "nltk",
    source: "/var/lang/nltk_data",
    target: "nltk_data",
    assetEnv: { NLTK_DATA: "/cache/nltk_data" },
  },
  // gensim
  {
    name: "gensim default",
    entry: "gensim",
    file: "/root/gensim-data/glove-wiki-gigaword-50/glove-wiki-gigaword-50.gz",
    id: "gensim",
    source: "/root/gensim-data",
    target: "gensim-data",
    assetEnv: { GENSIM_DATA_DIR: "/cache/gensim-data" },
  },
  {
    name: "gensim GENSIM_DATA_DIR",
    entry: "gensim",
    env: { GENSIM_DATA_DIR: "/g" },
    file: "/g/information.json",
    id: "gensim",
    source: "/g",
    target: "gensim-data",
    assetEnv: { GENSIM_DATA_DIR: "/cache/gensim-data" },
  },
  // tensorflow_hub: temp dir by default
  {
    name: "tfhub default",
    entry: "tfhub",
    file: "/tmp/tfhub_modules/0123abcd/saved_model.pb",
    id: "tfhub",
    source: "/tmp/tfhub_modules",
    target: "tfhub_modules",
    assetEnv: { TFHUB_CACHE_DIR: "/cache/tfhub_modules" },
  },
  {
    name: "tfhub TFHUB_CACHE_DIR",
    entry: "tfhub",
    env: { TFHUB_CACHE_DIR: "/tf", TMPDIR: "/scratch" },
    file: "/tf/0123abcd/saved_model.pb",
    id: "tfhub",
    source: "/tf",
    target: "tfhub_modules",
    assetEnv: { TFHUB_CACHE_DIR: "/cache/tfhub_modules" },
  },
  {
    name: "tfhub TMPDIR",
    entry: "tfhub",
    env: { TMPDIR: "/scratch" },
    file: "/scratch/tfhub_modules/0123abcd/saved_model.pb",
    id: "tfhub",
    source: "/scratch/tfhub_modules",
    target: "tfhub_modules",
    assetEnv: { TFHUB_CACHE_DIR: "/cache/tfhub_modules" },
  },
  // keras
  {
    name: "keras default",
    entry: "keras",
    file: "/root/.keras/models/resnet50_weights.h5",
    id: "keras",
    source: "/root/.keras",
    target: "keras",
    assetEnv: { KERAS_HOME: "/cache/keras" },
  },
  {
    name: "keras KERAS_HOME",
    entry: "keras",
    env: { KERAS_HOME: "/k" },
    file: "/k/datasets/mnist.npz",
    id: "keras",
    source: "/k",
    target: "keras",
    assetEnv: { KERAS_HOME: "/cache/keras" },
  },
  {
    name: "keras /tmp fallback",
    entry: "keras",
    file: "/tmp/.keras/models/x.h5",
    id: "keras",
    source: "/tmp/.keras",
    target: "keras",
    assetEnv: { KERAS_HOME: "/cache/keras" },
  },
  // whisper: no variable of its own
  {
    name: "whisper default",
    entry: "whisper",
    file: "/root/.cache/whisper/base.pt",
    id: "whisper",
    source: "/root/.cache/whisper",
    target: "whisper",
    assetEnv: { XDG_CACHE_HOME: "/cache" },
  },
  {
    name: "whisper XDG",
    entry: "whisper",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/whisper/large-v3-turbo.pt",
    id: "whisper",
    source: "/xdg/whisper",
    target: "whisper",
    assetEnv: { XDG_CACHE_HOME: "/cache" },
  },
  // easyocr
  {
    name: "easyocr default",
    entry: "easyocr",
    file: "/root/.EasyOCR/model/craft_mlt_25k.pth",
    id: "easyocr",
    source: "/root/.EasyOCR",
    target: "EasyOCR",
    assetEnv: { EASYOCR_MODULE_PATH: "/cache/EasyOCR" },
  },
  {
    name: "easyocr MODULE_PATH",
    entry: "easyocr",
    env: { MODULE_PATH: "/m" },
    file: "/m/model/x.pth",
    id: "easyocr",
    source: "/m",
    target: "EasyOCR",
    assetEnv: { EASYOCR_MODULE_PATH: "/cache/EasyOCR" },
  },
  {
    name: "easyocr EASYOCR_MODULE_PATH wins",
    entry: "easyocr",
    env: { MODULE_PATH: "/m", EASYOCR_MODULE_PATH: "/e" },
    file: "/e/model/x.pth",
    id: "easyocr",
    source: "/e",
    target: "EasyOCR",
    assetEnv: { EASYOCR_MODULE_PATH: "/cache/EasyOCR" },
  },
  // stanza: platformdirs layout (>=1.11.1), legacy ~/stanza_resources, STANZA_RESOURCES_DIR
  {
    name: "stanza default",
    entry: "stanza",
    file: "/root/.cache/stanza/1.11.0/resources/en/default.zip",
    id: "stanza",
    source: "/root/.cache/stanza/1.11.0/resources",
    target: "stanza_resources",
    assetEnv: { STANZA_RESOURCES_DIR: "/cache/stanza_resources" },
  },
  {
    name: "stanza XDG",
    entry: "stanza",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/stanza/1.11.0/resources/resources.json",
    id: "stanza",
    source: "/xdg/stanza/1.11.0/resources",
    target: "stanza_resources",
    assetEnv: { STANZA_RESOURCES_DIR: "/cache/stanza_resources" },
  },
  {
    name: "stanza legacy",
    entry: "stanza",
    file: "/root/stanza_resources/en/tokenize/ewt.pt",
    id: "stanza",
    source: "/root/stanza_resources",
    target: "stanza_resources",
    assetEnv: { STANZA_RESOURCES_DIR: "/cache/stanza_resources" },
  },
  {
    name: "stanza STANZA_RESOURCES_DIR",
    entry: "stanza",
    env: { STANZA_RESOURCES_DIR: "/s" },
    file: "/s/resources.json",
    id: "stanza",
    source: "/s",
    target: "stanza_resources",
    assetEnv: { STANZA_RESOURCES_DIR: "/cache/stanza_resources" },
  },
  // fastembed: temp dir by default, HF-like layout
  {
    name: "fastembed default",
    entry: "fastembed",
    file: "/tmp/fastembed_cache/models--qdrant--bge-small-en-v1.5-onnx-q/blobs/ab",
    id: "fastembed",
    source: "/tmp/fastembed_cache",
    target: "fastembed_cache",
    assetEnv: { FASTEMBED_CACHE_PATH: "/cache/fastembed_cache", HF_HUB_OFFLINE: "1" },
    layering: "hf-repos",
  },
  {
    name: "fastembed FASTEMBED_CACHE_PATH",
    entry: "fastembed",
    env: { FASTEMBED_CACHE_PATH: "/f" },
    file: "/f/fast-bge-small-en/model.onnx",
    id: "fastembed",
    source: "/f",
    target: "fastembed_cache",
    assetEnv: { FASTEMBED_CACHE_PATH: "/cache/fastembed_cache", HF_HUB_OFFLINE: "1" },
    layering: "single",
  },
  // tiktoken
  {
    name: "tiktoken default",
    entry: "tiktoken",
    file: "/tmp/data-gym-cache/9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
    id: "tiktoken",
    source: "/tmp/data-gym-cache",
    target: "tiktoken",
    assetEnv: { TIKTOKEN_CACHE_DIR: "/cache/tiktoken" },
  },
  {
    name: "tiktoken DATA_GYM_CACHE_DIR",
    entry: "tiktoken",
    env: { DATA_GYM_CACHE_DIR: "/d" },
    file: "/d/fb374d419588a4632f3f557e76b4b70aebbca790",
    id: "tiktoken",
    source: "/d",
    target: "tiktoken",
    assetEnv: { TIKTOKEN_CACHE_DIR: "/cache/tiktoken" },
  },
  {
    name: "tiktoken TIKTOKEN_CACHE_DIR wins",
    entry: "tiktoken",
    env: { DATA_GYM_CACHE_DIR: "/d", TIKTOKEN_CACHE_DIR: "/t" },
    file: "/t/fb374d419588a4632f3f557e76b4b70aebbca790",
    id: "tiktoken",
    source: "/t",
    target: "tiktoken",
    assetEnv: { TIKTOKEN_CACHE_DIR: "/cache/tiktoken" },
  },
  // paddleocr 2.x and paddlex / paddleocr 3.x
  {
    name: "paddleocr default",
    entry: "paddleocr",
    file: "/root/.paddleocr/whl/det/en/en_PP-OCRv3_det_infer/inference.pdmodel",
    id: "paddleocr",
    source: "/root/.paddleocr",
    target: "paddleocr",
    assetEnv: { PADDLE_OCR_BASE_DIR: "/cache/paddleocr" },
  },
  {
    name: "paddleocr PADDLE_OCR_BASE_DIR",
    entry: "paddleocr",
    env: { PADDLE_OCR_BASE_DIR: "/p" },
    file: "/p/whl/rec/x.pdmodel",
    id: "paddleocr",
    source: "/p",
    target: "paddleocr",
    assetEnv: { PADDLE_OCR_BASE_DIR: "/cache/paddleocr" },
  },
  {
    name: "paddlex default",
    entry: "paddlex",
    file: "/root/.paddlex/official_models/PP-OCRv5_server_det/inference.pdiparams",
    id: "paddlex",
    source: "/root/.paddlex",
    target: "paddlex",
    assetEnv: { PADDLE_PDX_CACHE_HOME: "/cache/paddlex" },
  },
  {
    name: "paddlex PADDLE_PDX_CACHE_HOME",
    entry: "paddlex",
    env: { PADDLE_PDX_CACHE_HOME: "/px" },
    file: "/px/official_models/m/inference.json",
    id: "paddlex",
    source: "/px",
    target: "paddlex",
    assetEnv: { PADDLE_PDX_CACHE_HOME: "/cache/paddlex" },
  },
  // no variable: only HOME moves them
  {
    name: "insightface default",
    entry: "insightface",
    file: "/root/.insightface/models/buffalo_l/det_10g.onnx",
    id: "insightface",
    source: "/root/.insightface",
    target: "insightface",
    assetEnv: {},
  },
  {
    name: "insightface other HOME",
    entry: "insightface",
    home: "/home/app",
    file: "/home/app/.insightface/models/buffalo_l/det_10g.onnx",
    id: "insightface",
    source: "/home/app/.insightface",
    target: "insightface",
    assetEnv: {},
  },
  {
    name: "open_clip URL weights",
    entry: "open-clip",
    file: "/root/.cache/clip/ViT-B-32.pt",
    id: "open-clip",
    source: "/root/.cache/clip",
    target: "clip",
    assetEnv: {},
  },
  {
    name: "open_clip ignores XDG",
    entry: "open-clip",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/root/.cache/clip/ViT-B-32.pt",
    id: "open-clip",
    source: "/root/.cache/clip",
    target: "clip",
    assetEnv: {},
  },
  {
    name: "gpt4all default",
    entry: "gpt4all",
    file: "/root/.cache/gpt4all/orca-mini-3b.gguf",
    id: "gpt4all",
    source: "/root/.cache/gpt4all",
    target: "gpt4all",
    assetEnv: {},
  },
  // llama.cpp and kagglehub
  {
    name: "llama.cpp default",
    entry: "llama-cpp",
    file: "/root/.cache/llama.cpp/org_repo_model.gguf",
    id: "llama-cpp",
    source: "/root/.cache/llama.cpp",
    target: "llama.cpp",
    assetEnv: { LLAMA_CACHE: "/cache/llama.cpp" },
  },
  {
    name: "llama.cpp LLAMA_CACHE",
    entry: "llama-cpp",
    env: { LLAMA_CACHE: "/l" },
    file: "/l/m.gguf",
    id: "llama-cpp",
    source: "/l",
    target: "llama.cpp",
    assetEnv: { LLAMA_CACHE: "/cache/llama.cpp" },
  },
  {
    name: "llama.cpp XDG",
    entry: "llama-cpp",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/llama.cpp/m.gguf",
    id: "llama-cpp",
    source: "/xdg/llama.cpp",
    target: "llama.cpp",
    assetEnv: { LLAMA_CACHE: "/cache/llama.cpp" },
  },
  {
    name: "kagglehub default",
    entry: "kagglehub",
    file: "/root/.cache/kagglehub/models/google/gemma/x.bin",
    id: "kagglehub",
    source: "/root/.cache/kagglehub",
    target: "kagglehub",
    assetEnv: { KAGGLEHUB_CACHE: "/cache/kagglehub" },
  },
  {
    name: "kagglehub KAGGLEHUB_CACHE",
    entry: "kagglehub",
    env: { KAGGLEHUB_CACHE: "/kg" },
    file: "/kg/datasets/x/y.csv",
    id: "kagglehub",
    source: "/kg",
    target: "kagglehub",
    assetEnv: { KAGGLEHUB_CACHE: "/cache/kagglehub" },
  },
  // ---- catalog breadth (issue 18): one block per library, default location, each variable, precedence ----
  // scikit-learn: SCIKIT_LEARN_DATA > ~/scikit_learn_data (expanduser)
  {
    name: "sklearn default",
    entry: "scikit-learn",
    file: "/root/scikit_learn_data/cal_housing_py3.pkz",
    id: "scikit-learn",
    source: "/root/scikit_learn_data",
    target: "scikit_learn_data",
    assetEnv: { SCIKIT_LEARN_DATA: "/cache/scikit_learn_data" },
  },
  {
    name: "sklearn SCIKIT_LEARN_DATA",
    entry: "scikit-learn",
    env: { SCIKIT_LEARN_DATA: "~/sk" },
    file: "/root/sk/openml/openml.org/api/v1/json/data/61.gz",
    id: "scikit-learn",
    source: "/root/sk",
    target: "scikit_learn_data",
    assetEnv: { SCIKIT_LEARN_DATA: "/cache/scikit_learn_data" },
  },
  // seaborn: SEABORN_DATA > $XDG_CACHE_HOME/seaborn > ~/.cache/seaborn; old releases ~/seaborn-data
  {
    name: "seaborn default",
    entry: "seaborn",
    file: "/root/.cache/seaborn/tips.csv",
    id: "seaborn",
    source: "/root/.cache/seaborn",
    target: "seaborn-data",
    assetEnv: { SEABORN_DATA: "/cache/seaborn-data" },
  },
  {
    name: "seaborn XDG",
    entry: "seaborn",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/seaborn/iris.csv",
    id: "seaborn",
    source: "/xdg/seaborn",
    target: "seaborn-data",
    assetEnv: { SEABORN_DATA: "/cache/seaborn-data" },
  },
  {
    name: "seaborn SEABORN_DATA beats XDG",
    entry: "seaborn",
    env: { SEABORN_DATA: "/sd", XDG_CACHE_HOME: "/xdg" },
    file: "/sd/tips.csv",
    id: "seaborn",
    source: "/sd",
    target: "seaborn-data",
    assetEnv: { SEABORN_DATA: "/cache/seaborn-data" },
  },
  {
    name: "seaborn legacy ~/seaborn-data",
    entry: "seaborn",
    file: "/root/seaborn-data/tips.csv",
    id: "seaborn",
    source: "/root/seaborn-data",
    target: "seaborn-data",
    assetEnv: { SEABORN_DATA: "/cache/seaborn-data" },
  },
  // tensorflow-datasets: TFDS_DATA_DIR > ~/tensorflow_datasets
  {
    name: "tfds default",
    entry: "tfds",
    file: "/root/tensorflow_datasets/mnist/3.0.1/dataset_info.json",
    id: "tfds",
    library: "tfds",
    source: "/root/tensorflow_datasets",
    target: "tensorflow_datasets",
    assetEnv: { TFDS_DATA_DIR: "/cache/tensorflow_datasets" },
  },
  {
    name: "tfds TFDS_DATA_DIR",
    entry: "tfds",
    env: { TFDS_DATA_DIR: "/data/tfds" },
    file: "/data/tfds/mnist/3.0.1/mnist-train.tfrecord-00000-of-00001",
    id: "tfds",
    source: "/data/tfds",
    target: "tensorflow_datasets",
    assetEnv: { TFDS_DATA_DIR: "/cache/tensorflow_datasets" },
  },
  // nilearn: a search list (NILEARN_SHARED_DATA, NILEARN_DATA, ~/nilearn_data)
  {
    name: "nilearn default",
    entry: "nilearn",
    file: "/root/nilearn_data/haxby2001/subj2/bold.nii.gz",
    id: "nilearn",
    source: "/root/nilearn_data",
    target: "nilearn_data",
    assetEnv: { NILEARN_SHARED_DATA: "/cache/nilearn_data" },
  },
  {
    name: "nilearn NILEARN_DATA list",
    entry: "nilearn",
    env: { NILEARN_DATA: "/n1:/n2" },
    file: "/n2/mni_icbm152/mask.nii.gz",
    id: "nilearn",
    source: "/n2",
    target: "nilearn_data",
    assetEnv: { NILEARN_SHARED_DATA: "/cache/nilearn_data" },
  },
  {
    name: "nilearn NILEARN_SHARED_DATA",
    entry: "nilearn",
    env: { NILEARN_SHARED_DATA: "/shared", NILEARN_DATA: "/n1" },
    file: "/shared/fsaverage/pial_left.gii",
    id: "nilearn",
    source: "/shared",
    target: "nilearn_data",
    assetEnv: { NILEARN_SHARED_DATA: "/cache/nilearn_data" },
  },
  // MNE: MNE_DATA > ~/mne_data
  {
    name: "mne default",
    entry: "mne",
    file: "/root/mne_data/MNE-sample-data/version.txt",
    id: "mne",
    source: "/root/mne_data",
    target: "mne_data",
    assetEnv: { MNE_DATA: "/cache/mne_data", MNE_DONTWRITE_HOME: "true" },
  },
  {
    name: "mne MNE_DATA",
    entry: "mne",
    env: { MNE_DATA: "/m" },
    file: "/m/MNE-testing-data/x.fif",
    id: "mne",
    source: "/m",
    target: "mne_data",
    assetEnv: { MNE_DATA: "/cache/mne_data", MNE_DONTWRITE_HOME: "true" },
  },
  // astropy: ASTROPY_CACHE_DIR > $XDG_CACHE_HOME/astropy > ~/.cache/astropy (8.0); ~/.astropy/cache before
  {
    name: "astropy 8 default",
    entry: "astropy",
    file: "/root/.cache/astropy/download/url/0a1b/contents",
    id: "astropy",
    source: "/root/.cache/astropy",
    target: "astropy",
    assetEnv: { ASTROPY_CACHE_DIR: "/cache/astropy", XDG_CACHE_HOME: "/cache" },
  },
  {
    name: "astropy ASTROPY_CACHE_DIR beats XDG",
    entry: "astropy",
    env: { ASTROPY_CACHE_DIR: "/ac", XDG_CACHE_HOME: "/xdg" },
    file: "/ac/download/url/0a1b/contents",
    id: "astropy",
    source: "/ac",
    target: "astropy",
    assetEnv: { ASTROPY_CACHE_DIR: "/cache/astropy", XDG_CACHE_HOME: "/cache" },
  },
  {
    name: "astropy XDG",
    entry: "astropy",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/astropy/download/url/0a1b/url",
    id: "astropy",
    source: "/xdg/astropy",
    target: "astropy",
    assetEnv: { ASTROPY_CACHE_DIR: "/cache/astropy", XDG_CACHE_HOME: "/cache" },
  },
  {
    name: "astropy <8 ~/.astropy/cache",
    entry: "astropy",
    file: "/root/.astropy/cache/download/url/0a1b/contents",
    id: "astropy",
    source: "/root/.astropy/cache",
    target: "astropy",
    assetEnv: { ASTROPY_CACHE_DIR: "/cache/astropy", XDG_CACHE_HOME: "/cache" },
  },
  // rembg: U2NET_HOME > $XDG_DATA_HOME/.u2net > ~/.u2net
  {
    name: "rembg default",
    entry: "rembg",
    file: "/root/.u2net/u2net.onnx",
    id: "rembg",
    source: "/root/.u2net",
    target: "u2net",
    assetEnv: { U2NET_HOME: "/cache/u2net" },
  },
  {
    name: "rembg XDG_DATA_HOME",
    entry: "rembg",
    env: { XDG_DATA_HOME: "/xd" },
    file: "/xd/.u2net/isnet-general-use.onnx",
    id: "rembg",
    source: "/xd/.u2net",
    target: "u2net",
    assetEnv: { U2NET_HOME: "/cache/u2net" },
  },
  {
    name: "rembg U2NET_HOME beats XDG_DATA_HOME",
    entry: "rembg",
    env: { XDG_DATA_HOME: "/xd", U2NET_HOME: "~/models/u2" },
    file: "/root/models/u2/u2net.onnx",
    id: "rembg",
    source: "/root/models/u2",
    target: "u2net",
    assetEnv: { U2NET_HOME: "/cache/u2net" },
  },
  // deepface: $DEEPFACE_HOME/.deepface, DEEPFACE_HOME defaults to HOME
  {
    name: "deepface default",
    entry: "deepface",
    file: "/root/.deepface/weights/vgg_face_weights.h5",
    id: "deepface",
    source: "/root/.deepface",
    target: "deepface/.deepface",
    assetEnv: { DEEPFACE_HOME: "/cache/deepface" },
  },
  {
    name: "deepface DEEPFACE_HOME",
    entry: "deepface",
    env: { DEEPFACE_HOME: "/models" },
    file: "/models/.deepface/weights/retinaface.h5",
    id: "deepface",
    source: "/models/.deepface",
    target: "deepface/.deepface",
    assetEnv: { DEEPFACE_HOME: "/cache/deepface" },
  },
  // OpenAI CLIP shares ~/.cache/clip with open_clip
  {
    name: "openai clip ~/.cache/clip",
    entry: "open-clip",
    file: "/root/.cache/clip/ViT-B-32.pt",
    id: "open-clip",
    source: "/root/.cache/clip",
    target: "clip",
    assetEnv: {},
  },
  // chromadb ONNX models: Path.home() only
  {
    name: "chromadb default",
    entry: "chromadb",
    file: "/root/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx/model.onnx",
    id: "chromadb",
    source: "/root/.cache/chroma/onnx_models",
    target: "chroma/onnx_models",
    assetEnv: {},
  },
  {
    name: "chromadb ignores XDG",
    entry: "chromadb",
    env: { XDG_CACHE_HOME: "/xdg" },
    home: "/home/app",
    file: "/home/app/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx/tokenizer.json",
    id: "chromadb",
    source: "/home/app/.cache/chroma/onnx_models",
    target: "chroma/onnx_models",
    assetEnv: {},
  },
  // scikit-image: SKIMAGE_DATADIR > pooch.os_cache("scikit-image")
  {
    name: "skimage default",
    entry: "scikit-image",
    file: "/root/.cache/scikit-image/0.24.0/data/astronaut.png",
    id: "scikit-image",
    source: "/root/.cache/scikit-image",
    target: "scikit-image",
    assetEnv: { SKIMAGE_DATADIR: "/cache/scikit-image" },
  },
  {
    name: "skimage XDG",
    entry: "scikit-image",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/scikit-image/0.24.0/data/camera.png",
    id: "scikit-image",
    source: "/xdg/scikit-image",
    target: "scikit-image",
    assetEnv: { SKIMAGE_DATADIR: "/cache/scikit-image" },
  },
  {
    name: "skimage SKIMAGE_DATADIR beats XDG",
    entry: "scikit-image",
    env: { XDG_CACHE_HOME: "/xdg", SKIMAGE_DATADIR: "/sk" },
    file: "/sk/0.24.0/data/camera.png",
    id: "scikit-image",
    source: "/sk",
    target: "scikit-image",
    assetEnv: { SKIMAGE_DATADIR: "/cache/scikit-image" },
  },
  // scipy.datasets: pooch.os_cache("scipy-data"), no variable
  {
    name: "scipy default",
    entry: "scipy",
    file: "/root/.cache/scipy-data/ascent.dat",
    id: "scipy",
    source: "/root/.cache/scipy-data",
    target: "scipy-data",
    assetEnv: { XDG_CACHE_HOME: "/cache" },
  },
  {
    name: "scipy XDG",
    entry: "scipy",
    env: { XDG_CACHE_HOME: "/xdg" },
    file: "/xdg/scipy-data/face.dat",
    id: "scipy",
    source: "/xdg/scipy-data",
    target: "scipy-data",
    assetEnv: { XDG_CACHE_HOME: "/cache" },
  },
  // librosa: LIBROSA_DATA_DIR > pooch.os_cache("librosa")
  {
    name: "librosa default",
    entry: "librosa",
    file: "/root/.cache/librosa/sorohanro_-_solo-trumpet-06.ogg",
    id: "librosa",
    source: "/root/.cache/librosa",
    target: "librosa",
    assetEnv: { LIBROSA_DATA_DIR: "/cache/librosa" },
  },
  {
    name: "librosa LIBROSA_DATA_DIR beats XDG",
    entry: "librosa",
    env: { LIBROSA_DATA_DIR: "/ld", XDG_CACHE_HOME: "/xdg" },
    file: "/ld/x.ogg",
    id: "librosa",
    source: "/ld",
    target: "librosa",
    assetEnv: { LIBROSA_DATA_DIR: "/cache/librosa" },
  },
  // evaluate: inside the HF home by default, its own asset when HF_EVALUATE_CACHE moves it out
  {
    name: "evaluate default (HF home)",
    entry: "evaluate",
    file: "/root/.cache/huggingface/evaluate/downloads/abc.json",
    id: "huggingface",
    library: "huggingface",
    source: "/root/.cache/huggingface",
    target: "huggingface",
    assetEnv: {
      ...HF_DEFAULT_ENV,
      HF_EVALUATE_CACHE: "/cache/huggingface/evaluate",
      HF_EVALUATE_OFFLINE: "1",
      HF_METRICS_CACHE: "/tmp/hf_metrics",
    },
  },
  {
    name: "evaluate HF_EVALUATE_CACHE",
    entry: "evaluate",
    env: { HF_EVALUATE_CACHE: "/ev" },
    file: "/ev/downloads/abc.json",
    id: "evaluate",
    source: "/ev",
    target: "hf_evaluate",
    assetEnv: {
      HF_EVALUATE_CACHE: "/cache/hf_evaluate",
      HF_EVALUATE_OFFLINE: "1",
      HF_METRICS_CACHE: "/tmp/hf_metrics",
    },
  },
  // flair: FLAIR_CACHE_ROOT > ~/.flair
  {
    name: "flair default",
    entry: "flair",
    file: "/root/.flair/models/ner-english/pytorch_model.bin",
    id: "flair",
    source: "/root/.flair",
    target: "flair",
    assetEnv: { FLAIR_CACHE_ROOT: "/cache/flair" },
  },
  {
    name: "flair FLAIR_CACHE_ROOT",
    entry: "flair",
    env: { FLAIR_CACHE_ROOT: "/fl" },
    file: "/fl/embeddings/glove.gensim",
    id: "flair",
    source: "/fl",
    target: "flair",
    assetEnv: { FLAIR_CACHE_ROOT: "/cache/flair" },
  },
  // modelscope: MODELSCOPE_CACHE > ~/.cache/modelscope (HOME, not XDG)
  {
    name: "modelscope default",
    entry: "modelscope",
    file: "/root/.cache/modelscope/hub/iic/emotion2vec/model.pt",
    id: "modelscope",
    source: "/root/.cache/modelscope",
    target: "modelscope",
    assetEnv: { MODELSCOPE_CACHE: "/cache/modelscope" },
  },
  {
    name: "modelscope MODELSCOPE_CACHE",
    entry: "modelscope",
    env: { MODELSCOPE_CACHE: "/ms", XDG_CACHE_HOME: "/xdg" },
    file: "/ms/hub/iic/emotion2vec/model.pt",
    id: "modelscope",
    source: "/ms",
    target: "modelscope",
    assetEnv: { MODELSCOPE_CACHE: "/cache/modelscope" },
  },
  // docTR: DOCTR_CACHE_DIR > ~/.cache/doctr (HOME, not XDG)
  {
    name: "doctr default",
    entry: "doctr",
    file: "/root/.cache/doctr/models/db_resnet50-79bd7d70.pt",
    id: "doctr",
    source: "/root/.cache/doctr",
    target: "doctr",
    assetEnv: { DOCTR_CACHE_DIR: "/cache/doctr" },
  },
  {
    name: "doctr DOCTR_CACHE_DIR",
    entry: "doctr",
    env: { DOCTR_CACHE_DIR: "~/dc" },
    file: "/root/dc/models/crnn_vgg16_bn-9762b0b0.pt",
    id: "doctr",
    source: "/root/dc",
    target: "doctr",
    assetEnv: { DOCTR_CACHE_DIR: "/cache/doctr" },
  },
];

describe("classify: every catalog entry at its default location and moved", () => {
  it.each(rows)("$name", (row) => {
    const result = classify(input([row.file], { env: row.env ?? {}, home: row.home ?? "/root" }));
    expect(result.assets).toHaveLength(1);
    const [asset] = result.assets;
    expect(asset).toMatchObject({
      id: row.id,
      library: row.library ?? row.entry,
      source: row.source,
      target: row.target,
      layering: row.layering ?? "single",
    });
    expect(asset?.env).toEqual(row.assetEnv);
    expect(result.unknownRoots).toEqual([]);
  });

  it("covers every catalog entry that has a cache location", () => {
    const withCache = CATALOG.filter((e) => e.locations.some((l) => (l.role ?? "cache") === "cache")).map(
      (e) => e.id,
    );
    const covered = new Set(rows.map((r) => r.entry));
    expect(withCache.filter((id) => !covered.has(id))).toEqual([]);
  });

  it("notes carry the baked path", () => {
    const [insight] = classify(input(["/root/.insightface/models/buffalo_l/x.onnx"])).assets;
    expect(insight?.notes.join("\n")).toContain("root='/cache/insightface'");
    const [gensim] = classify(input(["/root/gensim-data/information.json"])).assets;
    expect(gensim?.notes.join("\n")).toContain("information.json");
    const [stanza] = classify(input(["/root/stanza_resources/resources.json"])).assets;
    expect(stanza?.notes.join("\n")).toContain("download_method=None");
    const [keras] = classify(input(["/root/.keras/models/x.h5"])).assets;
    expect(keras?.notes.join("\n")).toContain("W_OK");
    const [whisper] = classify(input(["/root/.cache/whisper/base.pt"])).assets;
    expect(whisper?.notes.join("\n")).toContain("download_root='/cache/whisper'");
  });

  it("tiktoken with TIKTOKEN_CACHE_DIR='' caches nothing, and /tmp is not an unknown root", () => {
    const result = classify(
      input(["/tmp/data-gym-cache/9b5ad71b2ce5302211f9c61530b329a4922fc6a4"], {
        env: { TIKTOKEN_CACHE_DIR: "" },
      }),
    );
    expect(result.assets).toEqual([]);
    expect(result.unknownRoots).toEqual([]);
  });

  it("ultralytics settings are skipped as noise and spaCy never yields an asset", () => {
    const result = classify(
      input(["/root/.config/Ultralytics/settings.yaml", "/root/.config/Ultralytics/Arial.ttf"]),
    );
    expect(result.assets).toEqual([]);
    expect(result.skipped).toEqual([
      { path: "/root/.config/Ultralytics", reason: expect.stringMatching(/^noise: ultralytics settings/) },
    ]);
    const moved = classify(input(["/y/settings.yaml"], { env: { YOLO_CONFIG_DIR: "/y" } }));
    expect(moved.skipped.map((s) => s.path)).toEqual(["/y"]);
    const spacy = CATALOG.find((e) => e.id === "spacy");
    expect(spacy?.locations).toEqual([]);
    expect(spacy?.notes[0]).toMatch(/pip|wheel/);
  });

  it("HF static env matches DESIGN §5", () => {
    const hf = CATALOG.find((e) => e.id === "huggingface");
    expect(hf?.staticEnv).toEqual(HF_STATIC);
  });
});
