import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { acquireProjectLock, type ProjectLock } from "../state/project-lock.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { canonicalJson } from "../util/canonical-json.js";
import { escapeName } from "../util/names.js";
import { TEMP_BLOB_PREFIX } from "./blob-sink.js";
import { MediaType } from "./types.js";

export const OCI_LAYOUT_FILE = '{"imageLayoutVersion":"1.0.0"}';
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** Marks mlpack's own entry in index.json; every other entry belongs to someone else and is kept as is. */
export const MLPACK_IMAGE_ANNOTATION = "dev.mlpack.image";
/** The ref.name of mlpack's entry unless `--tag` names one. */
export const DEFAULT_REF_NAME = "latest";
/** What mlpack keeps inside a layout: its lock and the list of blobs it wrote (`.mlpack/blobs.json`). */
const OWN_DIR = ".mlpack";
const OWNED_FILE = "blobs.json";

export interface ManifestDescriptor {
  digest: string;
  size: number;
}

interface IndexEntry {
  mediaType?: string;
  digest?: string;
  size?: number;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

const hexOf = (digest: string) => digest.replace(/^sha256:/, "");
const isOurs = (entry: IndexEntry) => entry.annotations?.[MLPACK_IMAGE_ANNOTATION] === "true";

function layoutInvalid(dir: string, why: string, cause?: unknown): UsageError {
  return new UsageError(`${dir} holds an index.json mlpack cannot read (${why}); it was left untouched`, {
    code: "E_LAYOUT_INVALID",
    hint: "Point --layout at an empty folder or an OCI image layout, or repair index.json.",
    cause,
  });
}

/** The ref.name for mlpack's entry: the tag of `--tag NAME[:TAG]` when given, else "latest". */
export function refNameFor(tag: string | undefined): string {
  if (tag === undefined || tag === "") return DEFAULT_REF_NAME;
  const slash = tag.lastIndexOf("/");
  const colon = tag.lastIndexOf(":");
  return colon > slash ? tag.slice(colon + 1) : DEFAULT_REF_NAME;
}

/**
 * The index.json bytes: every other entry kept in order, the new mlpack entry last (openLayout without a
 * ref takes the last mlpack entry: the image the last bundle wrote). It replaces the mlpack entry with the
 * same ref.name — or, in mlpack's own work layout (`onlyOne`), every mlpack entry, so `.mlpack/oci` holds
 * one image whatever --tag said.
 */
export function indexJson(
  manifest: ManifestDescriptor,
  refName: string,
  existing: ReadonlyArray<IndexEntry> = [],
  extra: Record<string, unknown> = {},
  onlyOne = false,
): string {
  const ours: IndexEntry = {
    mediaType: MediaType.manifest,
    digest: manifest.digest,
    size: manifest.size,
    annotations: { [MLPACK_IMAGE_ANNOTATION]: "true", [REF_NAME_ANNOTATION]: refName },
  };
  const replaced = (e: IndexEntry) => isOurs(e) && (onlyOne || e.annotations?.[REF_NAME_ANNOTATION] === refName);
  const manifests = [...existing.filter((e) => !replaced(e)), ours];
  return canonicalJson({ ...extra, schemaVersion: 2, mediaType: MediaType.index, manifests });
}

/**
 * A layout being written by this process. Layouts may be shared with other tools and images (`skopeo copy …
 * oci:DIR:busybox`) and with other mlpack projects (`--layout` outside `.mlpack`), so:
 * - `DIR/.mlpack/lock` serialises mlpack runs on the layout (E_BUSY names the other one);
 * - index.json keeps every entry that is not mlpack's, and mlpack's entry is marked with an annotation;
 * - `DIR/.mlpack/blobs.json` lists the blobs mlpack wrote; only those, and only when no manifest reachable
 *   from index.json references them any more, are ever deleted;
 * - until index.json is renamed into place, the layout shows its previous image; a failed run removes the
 *   blobs it created and nothing else.
 */
export class LayoutSession {
  private readonly created = new Set<string>();

  private constructor(
    readonly dir: string,
    private readonly lock: ProjectLock | undefined,
    private readonly ownLayout: boolean,
  ) {}

  /**
   * Locks the layout and makes it ready for new blobs (oci-layout written, dead runs' temp files gone).
   * `ownLayout`: the layout is mlpack's own work folder (`.mlpack/oci`): it holds one mlpack image (any
   * earlier tag is replaced), and an older mlpack's unmarked entry (it kept no blob list) is taken as mlpack's.
   */
  static async open(dir: string, options: { ownLayout?: boolean } = {}): Promise<LayoutSession> {
    const lock = await acquireProjectLock(dir, { command: "mlpack bundle (writing this OCI layout)" });
    const session = new LayoutSession(dir, lock, options.ownLayout ?? false);
    try {
      await readIndex(dir); // refuse an unreadable index.json before anything is written
      await writeFileAtomic(join(dir, "oci-layout"), OCI_LAYOUT_FILE, { action: "writing the OCI layout" });
      await removeTemps(dir, (name) => /^\.index\.json\.[0-9a-f]+\.tmp$/.test(name));
      await removeTemps(join(dir, "blobs", "sha256"), deadTempBlob);
    } catch (error) {
      await session.release();
      throw error;
    }
    return session;
  }

  /** Records a blob this run wrote; `isNew` = it was not in the layout before (removed again on failure). */
  wrote(digest: string, isNew: boolean): void {
    if (isNew) this.created.add(hexOf(digest));
  }

  /**
   * Publishes the image: index.json is written last and atomically, after every blob it names is in place,
   * which is the single moment the layout switches from the old image to the new one. Then blobs mlpack
   * wrote that nothing references any more are deleted.
   */
  async commit(manifest: ManifestDescriptor, refName: string, blobs: ReadonlyArray<string>): Promise<void> {
    const index = await readIndex(this.dir);
    const owned = await readOwned(this.dir);
    if (owned === null && this.ownLayout) {
      for (const entry of index.manifests) {
        if (!entry.annotations || Object.keys(entry.annotations).length === 0)
          entry.annotations = { [MLPACK_IMAGE_ANNOTATION]: "true" };
      }
    }
    const mine = owned ?? new Set<string>();
    if (owned === null && this.ownLayout) for (const hex of (await reachableBlobs(this.dir)) ?? []) mine.add(hex);
    const clash = index.manifests.find((e) => !isOurs(e) && e.annotations?.[REF_NAME_ANNOTATION] === refName);
    if (clash) {
      throw new UsageError(`${this.dir} already holds another image tagged ${JSON.stringify(escapeName(refName))}`, {
        code: "E_LAYOUT_TAG_TAKEN",
        hint: "mlpack never replaces an image it did not write: pass --tag NAME:TAG with another tag, or another --layout.",
      });
    }
    for (const digest of blobs) mine.add(hexOf(digest));
    // Recorded before index.json names them, so a crash in between never leaves an unowned orphan.
    await writeOwned(this.dir, mine);
    const { manifests: _m, schemaVersion: _s, mediaType: _t, ...extra } = index.raw;
    await writeFileAtomic(join(this.dir, "index.json"), indexJson(manifest, refName, index.manifests, extra, this.ownLayout), {
      action: "writing the OCI layout's index.json",
    });
    this.created.clear();
    await this.collectGarbage(mine);
  }

  /** After a failure: removes the blobs this run created (index.json still names the previous image only). */
  async abandon(): Promise<void> {
    const blobsDir = join(this.dir, "blobs", "sha256");
    await Promise.all([...this.created].map((hex) => rm(join(blobsDir, hex), { force: true })));
    this.created.clear();
  }

  async release(): Promise<void> {
    await this.lock?.release();
  }

  private async collectGarbage(owned: Set<string>): Promise<void> {
    const referenced = await reachableBlobs(this.dir);
    if (referenced === null) return; // a foreign manifest we cannot read: delete nothing
    const blobsDir = join(this.dir, "blobs", "sha256");
    const garbage = [...owned].filter((hex) => !referenced.has(hex));
    await Promise.all(garbage.map((hex) => rm(join(blobsDir, hex), { force: true })));
    for (const hex of garbage) owned.delete(hex);
    if (garbage.length > 0) await writeOwned(this.dir, owned);
  }
}

/** A temp blob of a process that is gone (`.mlpack-tmp-<pid>-…`); other processes' temps are left alone. */
function deadTempBlob(name: string): boolean {
  if (!name.startsWith(TEMP_BLOB_PREFIX)) return false;
  const pid = Number(/^(\d+)-/.exec(name.slice(TEMP_BLOB_PREFIX.length))?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return true; // an older mlpack's temp: no pid to ask
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

async function removeTemps(dir: string, isTemp: (name: string) => boolean): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter(isTemp).map((name) => rm(join(dir, name), { force: true })));
}

async function readIndex(dir: string): Promise<{ raw: Record<string, unknown>; manifests: IndexEntry[] }> {
  let text: string;
  try {
    text = await readFile(join(dir, "index.json"), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { raw: {}, manifests: [] };
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw layoutInvalid(dir, "not valid JSON", cause);
  }
  const manifests = (raw as { manifests?: unknown } | null)?.manifests;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || (manifests !== undefined && !Array.isArray(manifests)))
    throw layoutInvalid(dir, "not an OCI image index");
  return { raw: raw as Record<string, unknown>, manifests: (manifests ?? []) as IndexEntry[] };
}

/** The blobs mlpack wrote into this layout, or null when it never recorded any (new, or an older mlpack). */
async function readOwned(dir: string): Promise<Set<string> | null> {
  let text: string;
  try {
    text = await readFile(join(dir, OWN_DIR, OWNED_FILE), "utf8");
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as { blobs?: unknown };
    const blobs = Array.isArray(parsed.blobs) ? parsed.blobs.map(String) : [];
    return new Set(blobs.filter((b) => /^[0-9a-f]{64}$/.test(b)));
  } catch {
    return new Set(); // garbled: own nothing rather than guess
  }
}

async function writeOwned(dir: string, owned: ReadonlySet<string>): Promise<void> {
  await writeFileAtomic(
    join(dir, OWN_DIR, OWNED_FILE),
    `${canonicalJson({ schemaVersion: 1, blobs: [...owned].sort() })}\n`,
    { action: "recording the blobs mlpack wrote into the OCI layout" },
  );
}

/**
 * Every blob reachable from index.json (manifests, their configs and layers, nested indexes), or null when
 * one of them cannot be read: then nothing may be deleted, because we cannot tell what it needs.
 */
async function reachableBlobs(dir: string): Promise<Set<string> | null> {
  const seen = new Set<string>();
  const index = await readIndex(dir);
  const visit = async (entries: ReadonlyArray<IndexEntry>): Promise<boolean> => {
    for (const entry of entries) {
      if (typeof entry.digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(entry.digest)) return false;
      const hex = hexOf(entry.digest);
      if (seen.has(hex)) continue;
      seen.add(hex);
      let doc: { config?: IndexEntry; layers?: IndexEntry[]; manifests?: IndexEntry[]; blobs?: IndexEntry[] };
      try {
        doc = JSON.parse(await readFile(join(dir, "blobs", "sha256", hex), "utf8"));
      } catch {
        return false;
      }
      for (const d of [doc.config, ...(doc.layers ?? []), ...(doc.blobs ?? [])]) {
        if (d === undefined) continue;
        if (typeof d.digest !== "string") return false;
        seen.add(hexOf(d.digest));
      }
      if (doc.manifests && !(await visit(doc.manifests))) return false;
    }
    return true;
  };
  return (await visit(index.manifests)) ? seen : null;
}
