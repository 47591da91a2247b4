import datasets from "./entries/datasets.js";
import easyocr from "./entries/easyocr.js";
import fastembed from "./entries/fastembed.js";
import gensim from "./entries/gensim.js";
import gpt4all from "./entries/gpt4all.js";
import huggingface from "./entries/huggingface.js";
import insightface from "./entries/insightface.js";
import kagglehub from "./entries/kagglehub.js";
import keras from "./entries/keras.js";
import llamaCpp from "./entries/llama-cpp.js";
import nltk from "./entries/nltk.js";
import openClip from "./entries/open-clip.js";
import paddleocr from "./entries/paddleocr.js";
import paddlex from "./entries/paddlex.js";
import sentenceTransformers from "./entries/sentence-transformers.js";
import spacy from "./entries/spacy.js";
import stanza from "./entries/stanza.js";
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
];

/** The entry with this id, or undefined. */
export function getEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}
