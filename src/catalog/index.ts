import astropy from "./entries/astropy.js";
import chromadb from "./entries/chromadb.js";
import datasets from "./entries/datasets.js";
import deepface from "./entries/deepface.js";
import doctr from "./entries/doctr.js";
import easyocr from "./entries/easyocr.js";
import evaluate from "./entries/evaluate.js";
import fastembed from "./entries/fastembed.js";
import flair from "./entries/flair.js";
import gensim from "./entries/gensim.js";
import gpt4all from "./entries/gpt4all.js";
import huggingface from "./entries/huggingface.js";
import insightface from "./entries/insightface.js";
import kagglehub from "./entries/kagglehub.js";
import keras from "./entries/keras.js";
import librosa from "./entries/librosa.js";
import llamaCpp from "./entries/llama-cpp.js";
import mne from "./entries/mne.js";
import modelscope from "./entries/modelscope.js";
import nilearn from "./entries/nilearn.js";
import nltk from "./entries/nltk.js";
import openClip from "./entries/open-clip.js";
import paddleocr from "./entries/paddleocr.js";
import paddlex from "./entries/paddlex.js";
import rembg from "./entries/rembg.js";
import scikitImage from "./entries/scikit-image.js";
import scikitLearn from "./entries/scikit-learn.js";
import scipy from "./entries/scipy.js";
import seaborn from "./entries/seaborn.js";
import sentenceTransformers from "./entries/sentence-transformers.js";
import spacy from "./entries/spacy.js";
import stanza from "./entries/stanza.js";
import tensorflowDatasets from "./entries/tensorflow-datasets.js";
import tensorflowHub from "./entries/tensorflow-hub.js";
import tiktoken from "./entries/tiktoken.js";
import torch from "./entries/torch.js";
import ultralytics from "./entries/ultralytics.js";
import whisper from "./entries/whisper.js";
import type { CatalogEntry } from "./types.js";

export { GLOBAL_RULES, LAMBDA_RUNTIME_ENV, NOISE_LOCATIONS, SYSTEM_PATHS } from "./hygiene.js";
export type { CacheLocation, Candidate, CatalogEntry, LocationRole, ScopedRule } from "./types.js";

/**
 * Every library mlpack knows, in the order ties are broken (a directory claimed by two entries goes to
 * the earlier one). Adding a library = adding a file under `entries/` and one line here.
 */
export const CATALOG: readonly CatalogEntry[] = [
  huggingface,
  datasets,
  sentenceTransformers,
  torch,
  nltk,
  gensim,
  tensorflowHub,
  keras,
  whisper,
  easyocr,
  stanza,
  fastembed,
  tiktoken,
  paddleocr,
  paddlex,
  insightface,
  openClip,
  llamaCpp,
  kagglehub,
  gpt4all,
  ultralytics,
  spacy,
  evaluate,
  scikitLearn,
  seaborn,
  tensorflowDatasets,
  nilearn,
  mne,
  astropy,
  rembg,
  deepface,
  chromadb,
  scikitImage,
  scipy,
  librosa,
  flair,
  modelscope,
  doctr,
];

/** The entry with this id, or undefined. */
export function getEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}
