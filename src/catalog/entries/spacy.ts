import { defineEntry } from "../define.js";

/**
 * spaCy has no home cache: pipelines are pip packages (`spacy download` runs pip install), so they land in
 * site-packages with the other requirements. The entry exists so the catalog can say so.
 */
export default defineEntry({
  id: "spacy",
  library: "spaCy",
  related: ["spacy-transformers"],
  locations: [],
  notes: [
    "spaCy pipelines are Python packages, not a cache: add the model wheel URL to your requirements instead of packaging anything.",
  ],
});
