#!/usr/bin/env node
// Offline checks of Quiver's Kubernetes manifests, run by deploy/validate.sh (no cluster needed).
//
//   node validate.mjs                 render deploy/base and every deploy/overlays/*, then check them
//   node validate.mjs --print NAME    print the rendered manifests of one variant (base, secure, ...)
//   node validate.mjs --self-test     prove that the checks fail: break copies of the manifests on
//                                     purpose and expect each breakage to be reported
//   options: --deploy DIR (default: this file's ../), --readme FILE (default: DIR/../README.md: its
//            "Server options" table lists the options), --dockerfile FILE (default:
//            DIR/../docker/Dockerfile: its ENV QUIVER_* settings count), --no-kustomize (skip the
//            cross-check against `kubectl kustomize`)
//
// Rendering implements the part of Kustomize these manifests use (resources, strategic-merge
// patches, labels, images, configMap/secretGenerator with Kustomize's own name hashes) and refuses
// any other kustomization field rather than ignoring it. Where kubectl (or kustomize) is installed,
// each variant is also built by it and must come out the same. Generator files that are missing
// (the secure overlay's git-ignored TLS and auth files) are validated as placeholders.
//
// Checks: every object against the Kubernetes schemas of kubernetes-models, including unknown fields
// (a misspelt field is silently dropped by a lenient API server); then Quiver's own rules, named in
// brackets in each report: probes, security, resources, config, services, pdb, references,
// prometheus, image, and secrets (the secure overlay's files, where they exist: a PKCS#8 key, PEM
// certificates, an auth file with bcrypt hashes). A problem is reported as file:line with the object, the path and the message.

import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Loading YAML with source positions

/** A parsed YAML file: its documents (yaml's Document, with ranges) and a line counter. */
function loadYamlFile(file) {
  const text = fs.readFileSync(file, "utf8");
  const lineCounter = new YAML.LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter, prettyErrors: true });
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new RenderError(file, doc.errors[0].linePos?.[0]?.line, `invalid YAML: ${doc.errors[0].message}`);
    }
  }
  return { file, docs: docs.filter((d) => d.contents !== null), lineCounter };
}

class RenderError extends Error {
  constructor(file, line, message) {
    super(message);
    this.file = file;
    this.line = line;
  }
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const clone = (v) => (v === undefined ? undefined : structuredClone(v));

// ---------------------------------------------------------------------------------------------
// Rendering (the subset of Kustomize these manifests use)

const SUPPORTED_FIELDS = new Set([
  "apiVersion", "kind", "resources", "patches", "labels", "images", "configMapGenerator", "secretGenerator",
]);

/**
 * Builds the kustomization in `dir`. Returns items { obj, sources: [{file, docIndex, yaml}] } where
 * sources lists the file the object came from, then every patch applied to it (for locating
 * problems). Generated ConfigMaps and Secrets keep their plain name here; `finish` hashes it.
 */
function build(dir, ctx) {
  const kfile = path.join(dir, "kustomization.yaml");
  if (!fs.existsSync(kfile)) {
    throw new RenderError(dir, undefined, "no kustomization.yaml here");
  }
  const kyaml = loadYamlFile(kfile);
  const k = kyaml.docs[0]?.toJS() ?? {};
  const at = (...p) => lineOf(kyaml, 0, p);
  for (const field of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(field)) {
      throw new RenderError(kfile, at(field), `kustomization field "${field}" is not implemented by validate.mjs`
        + " (deploy/validate/validate.mjs renders only what the manifests use): implement it there too");
    }
  }
  let items = [];
  for (const [i, entry] of (k.resources ?? []).entries()) {
    const target = path.resolve(dir, entry);
    if (!fs.existsSync(target)) {
      throw new RenderError(kfile, at("resources", i), `resource ${entry} does not exist`);
    }
    if (fs.statSync(target).isDirectory()) {
      items.push(...build(target, ctx));
    } else {
      const y = loadYamlFile(target);
      y.docs.forEach((doc, docIndex) => {
        const obj = doc.toJS();
        if (!isObject(obj) || !obj.kind || !obj.metadata?.name) {
          throw new RenderError(target, lineOf(y, docIndex, []), "a resource needs kind and metadata.name");
        }
        items.push({ obj, sources: [{ file: target, docIndex, yaml: y }] });
      });
    }
  }
  for (const kind of ["configMapGenerator", "secretGenerator"]) {
    for (const [i, gen] of (k[kind] ?? []).entries()) {
      items.push(generate(kind, gen, dir, kfile, kyaml, i, ctx));
    }
  }
  for (const [i, entry] of (k.patches ?? []).entries()) {
    if (entry.target || entry.options) {
      throw new RenderError(kfile, at("patches", i), "patch targets and options are not implemented by validate.mjs");
    }
    let y;
    if (entry.path) {
      y = loadYamlFile(path.resolve(dir, entry.path));
    } else if (entry.patch) {
      y = { file: kfile, docs: YAML.parseAllDocuments(entry.patch), lineCounter: null };
    } else {
      throw new RenderError(kfile, at("patches", i), "a patch needs path or patch");
    }
    y.docs.forEach((doc, docIndex) => {
      const patch = doc.toJS();
      if (Array.isArray(patch)) {
        throw new RenderError(y.file, 1, "JSON 6902 patches are not implemented by validate.mjs");
      }
      const item = items.find((it) => it.obj.kind === patch.kind && it.obj.metadata.name === patch.metadata?.name);
      if (!item) {
        throw new RenderError(y.file, lineOf(y, docIndex, []), `patch for ${patch.kind}/${patch.metadata?.name} matches no object`);
      }
      item.obj = strategicMerge(item.obj, patch, "");
      item.sources.push({ file: y.file, docIndex, yaml: y });
    });
  }
  for (const [i, entry] of (k.labels ?? []).entries()) {
    if (entry.includeSelectors) {
      throw new RenderError(kfile, at("labels", i, "includeSelectors"), "labels with includeSelectors are not implemented by validate.mjs");
    }
    for (const { obj } of items) {
      addLabels(obj, "metadata", entry.pairs);
      if (entry.includeTemplates && obj.spec?.template) {
        addLabels(obj.spec.template, "metadata", entry.pairs);
      }
      if (entry.includeTemplates && obj.kind === "StatefulSet") {
        for (const vct of obj.spec?.volumeClaimTemplates ?? []) {
          addLabels(vct, "metadata", entry.pairs);
        }
      }
    }
  }
  for (const image of k.images ?? []) {
    for (const { obj } of items) {
      for (const c of containersOf(obj)) {
        const name = c.image?.replace(/@.*$/, "").replace(/:[^/:]*$/, "");
        if (c.image && name === image.name) {
          const tag = image.digest ? `@${image.digest}` : image.newTag ? `:${image.newTag}` : c.image.slice(name.length);
          c.image = (image.newName ?? name) + tag;
        }
      }
    }
  }
  return items;
}

function addLabels(obj, field, pairs) {
  obj[field] ??= {};
  obj[field].labels = { ...(obj[field].labels ?? {}), ...pairs };
}

function generate(kind, gen, dir, kfile, kyaml, index, ctx) {
  const isSecret = kind === "secretGenerator";
  for (const field of Object.keys(gen)) {
    if (!["name", "files", "literals", "type"].includes(field)) {
      throw new RenderError(kfile, lineOf(kyaml, 0, [kind, index, field]), `${kind} field "${field}" is not implemented by validate.mjs`);
    }
  }
  const data = {};
  const fileOfKey = {};
  const placeholders = new Set();
  for (const [j, spec] of (gen.files ?? []).entries()) {
    const [key, rel] = spec.includes("=") ? spec.split(/=(.*)/s) : [path.basename(spec), spec];
    const file = path.resolve(dir, rel);
    if (fs.existsSync(file)) {
      data[key] = fs.readFileSync(file, "utf8");
    } else if (ctx.placeholders) {
      data[key] = `placeholder for ${rel}\n`;
      placeholders.add(key);
      ctx.notes.add(`${path.relative(ctx.root, file)} is missing (it is git-ignored and made by whoever deploys):`
        + " validated with a placeholder");
    } else {
      throw new RenderError(kfile, lineOf(kyaml, 0, [kind, index, "files", j]), `${rel} does not exist`);
    }
    fileOfKey[key] = file;
  }
  for (const literal of gen.literals ?? []) {
    const [key, value] = literal.split(/=(.*)/s);
    data[key] = value;
  }
  const obj = isSecret
    ? { apiVersion: "v1", kind: "Secret", metadata: { name: gen.name }, type: gen.type ?? "Opaque",
        data: Object.fromEntries(Object.entries(data).map(([key, v]) => [key, kustomizeBase64(v)])) }
    : { apiVersion: "v1", kind: "ConfigMap", metadata: { name: gen.name }, data };
  return { obj, generated: gen.name, fileOfKey, placeholders, texts: data, sources: [{ file: kfile, docIndex: 0, yaml: kyaml, base: [kind, index] }] };
}

/** Base64 as Kustomize writes Secret data: past 70 characters, in lines of 70, each ending in "\n". */
function kustomizeBase64(text) {
  const encoded = Buffer.from(text).toString("base64");
  if (encoded.length < 70) return encoded;
  return encoded.match(/.{1,70}/g).map((line) => `${line}\n`).join("");
}

/** Merge keys of the lists that Kubernetes' strategic merge patch merges item by item. */
function mergeKeys(field, items) {
  switch (field) {
    case "containers": case "initContainers": case "ephemeralContainers": case "env": case "volumes":
    case "imagePullSecrets":
      return ["name"];
    case "volumeMounts":
      return ["mountPath"];
    case "ports":
      return items.some((p) => isObject(p) && "containerPort" in p) ? ["containerPort", "protocol"] : ["port", "protocol"];
    default:
      return null;
  }
}

function dropNulls(v) {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([key, x]) => [key, dropNulls(x)]));
}

/** Strategic merge: maps merge, null deletes, keyed lists merge by key (new items first, as Kustomize). */
function strategicMerge(dst, patch, field) {
  if (isObject(patch)) {
    if (patch.$patch === "replace") {
      const { $patch, ...rest } = patch;
      return dropNulls(rest);
    }
    const out = isObject(dst) ? { ...dst } : {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) {
        delete out[key];
      } else {
        out[key] = strategicMerge(out[key], value, key);
      }
    }
    return out;
  }
  if (Array.isArray(patch)) {
    const keys = mergeKeys(field, patch);
    if (!keys || !Array.isArray(dst)) {
      return dropNulls(clone(patch));
    }
    const out = dst.slice();
    const added = [];
    for (const item of patch) {
      const index = out.findIndex((d) => keys.every((key) => d?.[key] === item?.[key]));
      if (item?.$patch === "delete") {
        if (index >= 0) out.splice(index, 1);
      } else if (index >= 0) {
        out[index] = strategicMerge(out[index], item, "");
      } else {
        added.push(dropNulls(clone(item)));
      }
    }
    return [...added, ...out];
  }
  return patch;
}

/**
 * Kustomize's name suffix: sha256 of {data, kind, name[, type]} as Go's JSON, 10 characters,
 * remapped. Kustomize (api/hasher) looks the name up as a single field "metadata/name", finds
 * nothing and hashes "" instead: the name never counts, only the content (checked against kubectl).
 */
function kustomizeHash(obj) {
  const encoded = obj.kind === "Secret"
    ? { data: obj.data, kind: "Secret", name: "", type: obj.type }
    : { data: obj.data, kind: "ConfigMap", name: "" };
  const json = goJson(encoded);
  const hex = createHash("sha256").update(json).digest("hex").slice(0, 10);
  return [...hex].map((c) => ({ 0: "g", 1: "h", 3: "k", a: "m", e: "t" })[c] ?? c).join("");
}

/** JSON as Go's encoding/json writes it: map keys sorted, <, > and & escaped. */
function goJson(value) {
  const sort = (v) => (isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((key) => [key, sort(v[key])])) : v);
  return JSON.stringify(sort(value))
    .replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Names generated objects with their hash and points the references to them at the new names. */
function finish(items) {
  const renamed = { ConfigMap: {}, Secret: {} };
  for (const item of items) {
    if (item.generated) {
      const name = `${item.generated}-${kustomizeHash(item.obj)}`;
      renamed[item.obj.kind][item.generated] = name;
      item.obj.metadata.name = name;
    }
  }
  const rename = (kind, holder, field) => {
    if (holder && renamed[kind][holder[field]]) holder[field] = renamed[kind][holder[field]];
  };
  for (const { obj } of items) {
    const pod = podSpecOf(obj);
    if (!pod) continue;
    for (const v of pod.volumes ?? []) {
      rename("ConfigMap", v.configMap, "name");
      rename("Secret", v.secret, "secretName");
      for (const s of v.projected?.sources ?? []) {
        rename("ConfigMap", s.configMap, "name");
        rename("Secret", s.secret, "name");
      }
    }
    for (const c of containersOf(obj)) {
      for (const e of c.envFrom ?? []) {
        rename("ConfigMap", e.configMapRef, "name");
        rename("Secret", e.secretRef, "name");
      }
      for (const e of c.env ?? []) {
        rename("ConfigMap", e.valueFrom?.configMapKeyRef, "name");
        rename("Secret", e.valueFrom?.secretKeyRef, "name");
      }
    }
  }
  return items;
}

const podSpecOf = (obj) => (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(obj.kind)
  ? obj.spec?.template?.spec : obj.kind === "Pod" ? obj.spec : undefined);
const containersOf = (obj) => {
  const pod = podSpecOf(obj);
  return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
};

// ---------------------------------------------------------------------------------------------
// Locating a path of a rendered object in the files it came from

/** The line of `segments` in document `docIndex` of a loaded YAML file (the deepest node found). */
function lineOf(y, docIndex, segments) {
  const doc = y.docs[docIndex];
  if (!doc || !y.lineCounter) return undefined;
  let node = doc.contents;
  let best = node;
  for (const seg of segments) {
    if (YAML.isMap(node)) {
      const pair = node.items.find((p) => (YAML.isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      best = pair.key ?? pair.value;
      node = pair.value;
    } else if (YAML.isSeq(node) && typeof seg === "number") {
      node = node.items[seg];
      if (!node) break;
      best = node;
    } else {
      break;
    }
  }
  const offset = best?.range?.[0];
  return offset === undefined ? undefined : y.lineCounter.linePos(offset).line;
}

/**
 * Where `pointer` (a JSON pointer into the rendered object) is written: the last of the object's
 * sources (patches win) that holds the path. List indexes of the rendered object are translated
 * into each source's own by the merge key of the item (name, mountPath, port).
 */
function locate(item, pointer) {
  const segments = pointer.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  for (const source of [...item.sources].reverse()) {
    const doc = source.yaml.docs[source.docIndex];
    if (!doc) continue;
    if (source.base) {
      return { file: source.file, line: lineOf(source.yaml, source.docIndex, source.base) };
    }
    let value = item.obj;
    let node = doc.contents;
    const translated = [];
    let depth = 0;
    for (const seg of segments) {
      if (Array.isArray(value) && YAML.isSeq(node)) {
        const element = value[Number(seg)];
        const keys = ["name", "mountPath", "containerPort", "port"].filter((key) => isObject(element) && key in element);
        const index = keys.length > 0
          ? node.items.findIndex((n) => YAML.isMap(n) && n.get(keys[0]) === element[keys[0]])
          : Number(seg);
        if (index < 0 || index >= node.items.length) break;
        translated.push(index);
        node = node.items[index];
        value = element;
      } else if (isObject(value) && YAML.isMap(node) && node.has(seg)) {
        translated.push(seg);
        node = node.get(seg, true);
        value = value[seg];
      } else {
        break;
      }
      depth++;
    }
    if (depth > 0 && (depth === segments.length || source === item.sources[0])) {
      return { file: source.file, line: lineOf(source.yaml, source.docIndex, translated) };
    }
  }
  const first = item.sources[0];
  return { file: first.file, line: lineOf(first.yaml, first.docIndex, []) };
}

// ---------------------------------------------------------------------------------------------
// Schema validation with kubernetes-models, plus unknown fields from its type declarations

const modelCache = new Map();

async function modelFor(apiVersion, kind) {
  const id = `${apiVersion}/${kind}`;
  if (!modelCache.has(id)) {
    let model = null;
    try {
      const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
      model = module[kind] ?? null;
    } catch {
      model = null;
    }
    modelCache.set(id, model);
  }
  return modelCache.get(id);
}

/** Property tables parsed from kubernetes-models' .d.ts files: { props: Map(name -> type) } by file. */
const declarationCache = new Map();

function declarationsOf(file) {
  if (declarationCache.has(file)) return declarationCache.get(file);
  const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    for (const name of m[1].split(",").map((s) => s.trim().split(/\s+as\s+/).pop())) {
      imports.set(name, m[2]);
    }
  }
  const start = text.search(/export interface \w+[^{]*\{/);
  let props = null;
  if (start >= 0) {
    props = new Map();
    let i = text.indexOf("{", start) + 1;
    let depth = 0;
    let statement = "";
    for (; i < text.length; i++) {
      const ch = text[i];
      if ((ch === "}" || ch === ">") && depth === 0) break;
      if (ch === "{" || ch === "<") depth++;
      if (ch === "}" || ch === ">") depth--;
      if (ch === ";" && depth === 0) {
        const m = statement.trim().match(/^"([^"]+)"\??:\s*([\s\S]+)$/);
        if (m) props.set(m[1], m[2].replace(/\s+/g, " ").trim());
        statement = "";
      } else {
        statement += ch;
      }
    }
  }
  const result = { file, props, imports };
  declarationCache.set(file, result);
  return result;
}

function resolveDeclaration(fromFile, specifier) {
  let base;
  if (specifier.startsWith(".")) {
    base = path.resolve(path.dirname(fromFile), specifier);
  } else {
    const [scope, name, ...rest] = specifier.split("/");
    const pkg = path.dirname(require.resolve(`${scope}/${name}/package.json`, { paths: [path.dirname(fromFile)] }));
    base = path.join(pkg, ...rest);
  }
  base = base.replace(/\.(m?js)$/, "");
  return fs.existsSync(`${base}.d.ts`) ? `${base}.d.ts` : null;
}

/** Reports the fields of `value` that its declared type does not have, recursively. */
function unknownFields(value, type, declFile, pointer, report) {
  type = type.trim();
  let m;
  if ((m = type.match(/^Array<([\s\S]+)>$/))) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, m[1], declFile, `${pointer}/${i}`, report));
    return;
  }
  if ((m = type.match(/^\{ \[key: string\]: ([\s\S]+?);? \}$/))) {
    if (isObject(value)) {
      for (const [key, v] of Object.entries(value)) unknownFields(v, m[1], declFile, `${pointer}/${key}`, report);
    }
    return;
  }
  if (!/^I\w+$/.test(type) || !isObject(value)) return;
  const decl = declarationsOf(declFile);
  const target = decl.imports.has(type) ? resolveDeclaration(declFile, decl.imports.get(type)) : declFile;
  if (!target) return;
  checkFields(value, target, pointer, report);
}

function checkFields(value, declFile, pointer, report) {
  const decl = declarationsOf(declFile);
  if (!decl.props) return;
  for (const [key, v] of Object.entries(value)) {
    const type = decl.props.get(key);
    if (type === undefined) {
      report(`${pointer}/${key}`, `unknown field "${key}" (${path.basename(declFile, ".d.ts")} has no such field)`);
    } else {
      unknownFields(v, type, declFile, `${pointer}/${key}`, report);
    }
  }
}

async function validateSchema(item, problem) {
  const { apiVersion, kind } = item.obj;
  const Model = await modelFor(apiVersion, kind);
  if (!Model) {
    problem(item, "", "schema", `no schema for apiVersion ${apiVersion}, kind ${kind}`);
    return;
  }
  // Kustomize wraps long Secret values in lines; the API server's base64 decoder skips the line
  // breaks, the schema's "byte" format does not.
  const obj = item.obj.kind === "Secret" && isObject(item.obj.data)
    ? { ...item.obj, data: Object.fromEntries(Object.entries(item.obj.data).map(([k, v]) => [k, String(v).replace(/\n/g, "")])) }
    : item.obj;
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const err of e.errors ?? [{ instancePath: "", message: e.message }]) {
      const extra = err.params?.allowedValues ? ` (${err.params.allowedValues.join(", ")})`
        : err.params?.missingProperty ? ` (${err.params.missingProperty})` : "";
      problem(item, err.instancePath, "schema", `${err.message}${extra}`);
    }
  }
  const modelFile = require.resolve(`kubernetes-models/${apiVersion}/${kind}`).replace(/\.js$/, ".d.ts");
  checkFields(item.obj, modelFile, "", (pointer, message) => problem(item, pointer, "schema", message));
}

// ---------------------------------------------------------------------------------------------
// Quiver's own rules

/** Options from README.md's "Server options" table: name -> default ("" when none). */
function serverOptions(readme) {
  const options = new Map();
  for (const line of fs.readFileSync(readme, "utf8").split("\n")) {
    if (!line.startsWith("| `--")) continue;
    const [, names, defaults] = line.split("|");
    const fallback = defaults.match(/`([^`]*)`/)?.[1] ?? "";
    for (const m of names.matchAll(/`--([a-z0-9-]+)/g)) options.set(m[1], fallback);
  }
  if (options.size === 0) throw new Error(`${readme} has no "Server options" table rows`);
  return options;
}

/** Variables the server reads that are not options (server: dev.quiver.server.Main.OTHER_VARIABLES). */
const OTHER_VARIABLES = new Set(["QUIVER_CONFIG", "QUIVER_LOG_LEVEL", "QUIVER_ACCESS_LOG_LEVEL", "QUIVER_TLS_CA",
  "QUIVER_TLS_SERVER_NAME"]);

/** QUIVER_* variables set by ENV in the image's Dockerfile (option -> value), when there is one. */
function imageEnvironment(dockerfile) {
  const env = new Map();
  if (!dockerfile || !fs.existsSync(dockerfile)) return null;
  const text = fs.readFileSync(dockerfile, "utf8").replace(/\\\r?\n/g, " ");
  for (const line of text.split("\n")) {
    const m = /^\s*ENV\s+(.*)$/i.exec(line);
    if (!m) continue;
    const pairs = [...m[1].matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|(\S*))/g)];
    const entries = pairs.length > 0 ? pairs.map((p) => [p[1], p[3] ?? p[4] ?? p[5]])
      : [m[1].trim().split(/\s+(.*)/s).slice(0, 2)];
    for (const [name, value] of entries) {
      if (name.startsWith("QUIVER_") && !OTHER_VARIABLES.has(name)) {
        env.set(name.slice("QUIVER_".length).toLowerCase().replace(/_/g, "-"), value);
      }
    }
  }
  return env;
}
const FILE_OPTIONS = ["tls-cert", "tls-key", "tls-client-ca", "auth-file"];
/** What the server would refuse in the file given to a file option (null: nothing seen). */
function fileTrouble(option, text) {
  if (option === "tls-key") {
    return /-----BEGIN PRIVATE KEY-----/.test(text) ? null
      : "not a PEM PKCS#8 private key (-----BEGIN PRIVATE KEY-----), which the server needs: convert it with"
        + " openssl pkcs8 -topk8 -nocrypt -in KEY -out tls.key";
  }
  if (option === "tls-cert" || option === "tls-client-ca") {
    return /-----BEGIN CERTIFICATE-----/.test(text) ? null : "not a PEM certificate (-----BEGIN CERTIFICATE-----)";
  }
  if (option === "auth-file") {
    let auth;
    try {
      auth = JSON.parse(text);
    } catch (e) {
      return `not valid JSON: ${e.message}`;
    }
    const entries = [...(Array.isArray(auth?.users) ? auth.users : []), ...(Array.isArray(auth?.tokens) ? auth.tokens : [])];
    if (entries.length === 0) return 'defines no user and no token ({"users": [...], "tokens": [...]})';
    const plain = (auth.users ?? []).find((u) => typeof u.password !== "string" || !/^\$2[aby]\$/.test(u.password));
    if (plain) return `user ${plain.name}: "password" must be a bcrypt hash (quiver-server.jar hash-password), never the password`;
  }
  return null;
}
const envName = (option) => `QUIVER_${option.toUpperCase().replace(/-/g, "_")}`;

/** java.util.Properties, the simple way: key = value, key: value, # and ! comments. */
function parseProperties(text) {
  const entries = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^\s+/, "");
    const lineNo = i + 1;
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].replace(/^\s+/, "");
    const m = line.match(/^((?:\\.|[^=:\s\\])+)\s*[=:]?\s*(.*)$/);
    entries.push({ key: m[1].replace(/\\(.)/g, "$1"), value: m[2].trim(), line: lineNo });
  }
  return entries;
}

function parseDuration(text) {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text ?? "");
  return m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]] : NaN;
}

function parseQuantity(text) {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(text ?? ""));
  if (!m) return NaN;
  const unit = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2]] ?? 1;
  return Number(m[1]) * unit;
}

const selects = (selector, labels) => selector && Object.keys(selector).length > 0
  && Object.entries(selector).every(([key, v]) => labels?.[key] === v);

/** The volume, and the file inside it, that holds absolute path `file` in container `c`. */
function mountedFile(c, pod, vcts, file) {
  const mount = (c.volumeMounts ?? [])
    .filter((m) => file === m.mountPath || file.startsWith(`${m.mountPath.replace(/\/$/, "")}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return null;
  const rest = file.slice(mount.mountPath.length).replace(/^\//, "");
  const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
  const claim = vcts.find((v) => v.metadata?.name === mount.name);
  return { mount, volume, claim, key: mount.subPath ? mount.subPath : rest };
}

function checkQuiver(items, problem, options, imageEnv) {
  const find = (kind, name) => items.find((it) => it.obj.kind === kind && it.obj.metadata.name === name);
  const workloads = items.filter((it) => podSpecOf(it.obj) && it.obj.kind !== "Pod");
  if (workloads.length === 0 && items.length > 0) {
    problem(items[0], "", "references", "no workload (StatefulSet or Deployment) rendered");
  }

  for (const item of workloads) {
    const obj = item.obj;
    const T = "/spec/template";
    const pod = obj.spec.template.spec;
    const labels = obj.spec.template.metadata?.labels ?? {};
    const vcts = obj.spec.volumeClaimTemplates ?? [];
    const podSec = pod.securityContext ?? {};

    if (!selects(obj.spec.selector?.matchLabels, labels)) {
      problem(item, "/spec/selector", "services", "spec.selector.matchLabels does not select the pod template's labels");
    }
    if (obj.kind === "StatefulSet") {
      const governing = find("Service", obj.spec.serviceName);
      if (!governing) {
        problem(item, "/spec/serviceName", "services", `serviceName ${obj.spec.serviceName} names no rendered Service`);
      } else if (governing.obj.spec?.clusterIP !== "None") {
        problem(governing, "/spec", "services", `the StatefulSet's governing Service must be headless (clusterIP: None)`);
      }
    }
    if (pod.enableServiceLinks !== false) {
      problem(item, `${T}/spec`, "config", "enableServiceLinks must be false: Kubernetes would set QUIVER_PORT=tcp://..."
        + " (and more) for the Service quiver, and the server reads QUIVER_* variables as its options (--port)");
    }
    for (const flag of ["hostNetwork", "hostPID", "hostIPC"]) {
      if (pod[flag]) problem(item, `${T}/spec/${flag}`, "security", `${flag} must not be set`);
    }
    if (podSec.runAsUser === 0) problem(item, `${T}/spec/securityContext/runAsUser`, "security", "the pod must not run as root (uid 0)");
    const annotations = obj.spec.template.metadata?.annotations ?? {};

    (pod.containers ?? []).forEach((c, ci) => {
      const C = `${T}/spec/containers/${ci}`;
      const sec = c.securityContext ?? {};
      const ports = c.ports ?? [];
      // security
      if ((sec.runAsNonRoot ?? podSec.runAsNonRoot) !== true) {
        problem(item, `${C}/securityContext`, "security", "runAsNonRoot must be true (container or pod)");
      }
      if (sec.runAsUser === 0) problem(item, `${C}/securityContext/runAsUser`, "security", "the container must not run as root (uid 0)");
      if (sec.allowPrivilegeEscalation !== false) {
        problem(item, `${C}/securityContext`, "security", "allowPrivilegeEscalation must be false");
      }
      if (sec.privileged) problem(item, `${C}/securityContext/privileged`, "security", "privileged must not be set");
      if (sec.readOnlyRootFilesystem !== true) {
        problem(item, `${C}/securityContext`, "security", "readOnlyRootFilesystem must be true");
      }
      if (!(sec.capabilities?.drop ?? []).includes("ALL")) {
        problem(item, `${C}/securityContext`, "security", "capabilities.drop must contain ALL");
      }
      if ((sec.capabilities?.add ?? []).length > 0) {
        problem(item, `${C}/securityContext/capabilities/add`, "security", "no capabilities may be added");
      }
      const seccomp = (sec.seccompProfile ?? podSec.seccompProfile)?.type;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
        problem(item, `${T}/spec/securityContext`, "security", "seccompProfile.type must be RuntimeDefault (pod or container)");
      }
      if (sec.readOnlyRootFilesystem === true && !(c.volumeMounts ?? []).some((m) => m.mountPath === "/tmp")) {
        problem(item, `${C}/volumeMounts`, "security", "with a read-only root filesystem the JVM needs a volume mounted at /tmp");
      }
      // resources
      const res = c.resources ?? {};
      for (const [kind, name] of [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]) {
        if (res[kind]?.[name] === undefined) problem(item, `${C}/resources`, "resources", `resources.${kind}.${name} must be set`);
      }
      for (const name of ["cpu", "memory"]) {
        if (res.requests?.[name] !== undefined && res.limits?.[name] !== undefined
            && parseQuantity(res.requests[name]) > parseQuantity(res.limits[name])) {
          problem(item, `${C}/resources/requests/${name}`, "resources", `the ${name} request exceeds the limit`);
        }
      }
      // image
      if (!/(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(c.image ?? "") || /:latest$/.test(c.image)) {
        problem(item, `${C}/image`, "image", `image ${c.image} needs a version tag or digest (not latest)`);
      }
      // mounts and the objects they name
      for (const [mi, m] of (c.volumeMounts ?? []).entries()) {
        const volume = (pod.volumes ?? []).find((v) => v.name === m.name);
        if (!volume && !vcts.some((v) => v.metadata?.name === m.name)) {
          problem(item, `${C}/volumeMounts/${mi}`, "references", `volumeMount ${m.name} names no volume or claim template`);
        }
      }
      for (const [vi, v] of (pod.volumes ?? []).entries()) {
        const ref = v.configMap ? ["ConfigMap", v.configMap.name, v.configMap.optional]
          : v.secret ? ["Secret", v.secret.secretName, v.secret.optional] : null;
        if (ref && !ref[2] && !find(ref[0], ref[1])) {
          problem(item, `${T}/spec/volumes/${vi}`, "references", `volume ${v.name} names ${ref[0]} ${ref[1]}, which is not rendered`);
        }
      }

      // the server's settings: flags beat QUIVER_* variables, which beat the --config file
      const file = new Map();
      const env = new Map();
      const flags = new Map();
      const origin = new Map(); // option -> where its value was set: { pointer } or { at: {file, line} }
      const args = [...(c.command ?? []), ...(c.args ?? [])];
      for (let i = 0; i < args.length; i++) {
        const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(args[i]);
        if (!m) continue;
        const value = m[2] ?? args[++i];
        if (!options.has(m[1])) problem(item, `${C}/args`, "config", `--${m[1]} is not a server option (README.md, "Server options")`);
        flags.set(m[1], value);
        origin.set(m[1], { pointer: `${C}/args` });
      }
      for (const [ei, e] of (c.env ?? []).entries()) {
        if (!e.name.startsWith("QUIVER_") || OTHER_VARIABLES.has(e.name)) continue;
        const option = e.name.slice("QUIVER_".length).toLowerCase().replace(/_/g, "-");
        if (!options.has(option)) {
          problem(item, `${C}/env/${ei}`, "config", `${e.name} sets no server option (the server would ignore it with a warning)`);
        } else if (e.value !== undefined) {
          env.set(option, e.value);
          if (!flags.has(option)) origin.set(option, { pointer: `${C}/env/${ei}` });
        }
      }
      const configPath = flags.get("config") ?? (c.env ?? []).find((e) => e.name === "QUIVER_CONFIG")?.value;
      if (configPath) {
        const where = mountedFile(c, pod, vcts, configPath);
        const cm = where?.volume?.configMap && find("ConfigMap", where.volume.configMap.name);
        const text = cm?.obj.data?.[where.key];
        if (text === undefined) {
          problem(item, `${C}/args`, "config", `the config file ${configPath} is not a key of a mounted ConfigMap`);
        } else {
          const source = cm.fileOfKey?.[where.key];
          for (const entry of parseProperties(text)) {
            if (!options.has(entry.key)) {
              const at = source ? { file: source, line: entry.line } : null;
              problem(cm, "/data", "config", `config file key "${entry.key}" is not a server option (README.md,`
                + ` "Server options"): the server would refuse to start`, at);
            }
            file.set(entry.key, entry.value);
            const shadow = flags.has(entry.key) ? `the flag --${entry.key}`
              : env.has(entry.key) ? `the container's ${envName(entry.key)}`
                : imageEnv?.has(entry.key) ? `the image's ${envName(entry.key)} (ENV in docker/Dockerfile)` : null;
            if (shadow) {
              problem(cm, "/data", "config", `config file key "${entry.key}" is overridden by ${shadow}:`
                + " its value here would be ignored; set it there", source ? { file: source, line: entry.line } : null);
            }
            if (!origin.has(entry.key) && source) origin.set(entry.key, { at: { file: source, line: entry.line } });
          }
        }
      }
      const setting = (option) => flags.get(option) ?? env.get(option) ?? imageEnv?.get(option) ?? file.get(option)
        ?? options.get(option);
      /** Reports a problem with a setting where the setting was made (else at `fallback`). */
      const settingProblem = (option, fallback, check, message) => {
        const o = origin.get(option);
        problem(item, o?.pointer ?? fallback, check, message, o?.at ?? null);
      };
      const portNamed = (name) => ports.find((p) => p.name === name)?.containerPort;
      if (Number(setting("port")) !== portNamed("grpc")) {
        settingProblem("port", `${C}/ports`, "config", `the server listens on ${setting("port")} but the container port "grpc" is ${portNamed("grpc")}`);
      }
      const metricsPort = Number(setting("metrics-port"));
      if (!(metricsPort > 0)) {
        problem(item, `${C}/args`, "prometheus", "metrics-port is not set: the server would serve no /metrics");
      } else if (metricsPort !== portNamed("metrics")) {
        settingProblem("metrics-port", `${C}/ports`, "prometheus", `the server serves metrics on ${metricsPort} but the container port "metrics" is ${portNamed("metrics")}`);
      }
      if (annotations["prometheus.io/scrape"] !== "true") {
        problem(item, `${T}/metadata`, "prometheus", 'the pod template needs the annotation prometheus.io/scrape: "true"');
      }
      if (Number(annotations["prometheus.io/port"]) !== metricsPort || (annotations["prometheus.io/path"] ?? "/metrics") !== "/metrics") {
        problem(item, `${T}/metadata/annotations`, "prometheus", `prometheus.io/port and path must name the metrics endpoint (${metricsPort}, /metrics)`);
      }
      const drain = parseDuration(setting("drain-period"));
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      if (!(grace >= drain + 5)) {
        problem(item, `${T}/spec/terminationGracePeriodSeconds`, "config", `terminationGracePeriodSeconds (${grace}) must exceed`
          + ` the drain period (${setting("drain-period")}) by at least 5 s, or SIGKILL cuts the drain short`);
      }
      const data = setting("data");
      const dataMount = data?.startsWith("/") ? mountedFile(c, pod, vcts, data) : null;
      if (!dataMount || !(dataMount.claim || dataMount.volume?.persistentVolumeClaim)) {
        settingProblem("data", `${C}/volumeMounts`, "config", `the data directory ${data} is not on a persistent volume`);
      }
      for (const option of FILE_OPTIONS) {
        const value = setting(option);
        if (!value) continue;
        const where = mountedFile(c, pod, vcts, value);
        const holder = where?.volume?.secret ? find("Secret", where.volume.secret.secretName)
          : where?.volume?.configMap ? find("ConfigMap", where.volume.configMap.name) : null;
        if (!where || !where.volume) {
          settingProblem(option, C, "references", `--${option} ${value} is on no mounted volume`);
        } else if (holder && !(where.key in (holder.obj.data ?? {}))) {
          settingProblem(option, C, "references", `--${option} ${value}: ${holder.obj.kind} ${holder.obj.metadata.name} has no key ${where.key}`);
        } else if (holder?.texts && where.key in holder.texts && !holder.placeholders.has(where.key)) {
          const trouble = fileTrouble(option, holder.texts[where.key]);
          if (trouble) {
            problem(holder, "/data", "secrets", `${path.basename(holder.fileOfKey[where.key])} (--${option}): ${trouble}`,
              { file: holder.fileOfKey[where.key], line: 1 });
          }
        }
      }
      // probes
      const tls = Boolean(setting("tls-cert"));
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const p = c[probe];
        if (!p) {
          problem(item, C, "probes", `${probe} is missing`);
          continue;
        }
        if (p.grpc) {
          if (p.grpc.port !== portNamed("grpc")) {
            problem(item, `${C}/${probe}/grpc/port`, "probes", `${probe} checks port ${p.grpc.port}, not the Flight port ${portNamed("grpc")}`);
          }
          if (p.grpc.service && !["", "arrow.flight.protocol.FlightService"].includes(p.grpc.service)) {
            problem(item, `${C}/${probe}/grpc/service`, "probes", `the health service knows "" and arrow.flight.protocol.FlightService, not ${p.grpc.service}`);
          }
          if (tls) {
            problem(item, `${C}/${probe}/grpc`, "probes", `${probe} is a grpc probe but the server speaks TLS`
              + " (--tls-cert): Kubernetes' grpc probes are plaintext and would always fail; use tcpSocket or exec");
          }
        } else if (p.tcpSocket) {
          const port = p.tcpSocket.port;
          if (!ports.some((cp) => cp.name === port || cp.containerPort === port)) {
            problem(item, `${C}/${probe}/tcpSocket/port`, "probes", `${probe} checks port ${port}, which the container does not declare`);
          }
        } else if (!p.exec) {
          problem(item, `${C}/${probe}`, "probes", `${probe} must be a grpc, tcpSocket or exec probe of the Flight port`);
        }
      }
    });
  }

  for (const item of items) {
    const obj = item.obj;
    if (obj.kind === "Service") {
      const targets = workloads.filter((w) => selects(obj.spec?.selector, w.obj.spec.template.metadata?.labels));
      if (targets.length === 0) {
        problem(item, "/spec/selector", "services", "the selector matches the pods of no rendered workload");
        continue;
      }
      for (const [pi, p] of (obj.spec.ports ?? []).entries()) {
        const target = p.targetPort ?? p.port;
        const ok = targets.every((w) => containersOf(w.obj).some((c) => (c.ports ?? [])
          .some((cp) => cp.name === target || cp.containerPort === target)));
        if (!ok) problem(item, `/spec/ports/${pi}`, "services", `targetPort ${target} is not a port of the selected containers`);
      }
    }
    if (obj.kind === "PodDisruptionBudget") {
      const targets = workloads.filter((w) => selects(obj.spec?.selector?.matchLabels, w.obj.spec.template.metadata?.labels));
      if (targets.length === 0) {
        problem(item, "/spec/selector", "pdb", "the selector matches the pods of no rendered workload");
        continue;
      }
      const replicas = Math.min(...targets.map((w) => w.obj.spec.replicas ?? 1));
      const { minAvailable, maxUnavailable } = obj.spec;
      if ((typeof minAvailable === "number" && minAvailable >= replicas) || minAvailable === "100%"
          || maxUnavailable === 0 || maxUnavailable === "0%") {
        problem(item, "/spec", "pdb", `with ${replicas} replica(s) this budget allows no eviction: node drains would block forever`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Variants, the Kustomize cross-check, reporting

function variants(deploy) {
  const list = [{ name: "base", dir: path.join(deploy, "base") }];
  const overlays = path.join(deploy, "overlays");
  if (fs.existsSync(overlays)) {
    for (const name of fs.readdirSync(overlays).sort()) {
      if (fs.existsSync(path.join(overlays, name, "kustomization.yaml"))) list.push({ name, dir: path.join(overlays, name) });
    }
  }
  return list;
}

/** Canonical form for comparing two renderings: keyed list items sorted by their key. */
function canonical(v) {
  if (Array.isArray(v)) {
    const items = v.map(canonical);
    const key = ["name", "mountPath", "containerPort", "port"].find((k) => items.length > 0 && items.every((i) => isObject(i) && k in i));
    return key ? items.sort((a, b) => String(a[key]).localeCompare(String(b[key]))) : items;
  }
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

function firstDifference(a, b, pointer = "") {
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[key], b[key], `${pointer}/${key}`);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${pointer}/${i}`);
      if (d) return d;
    }
    return null;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? null : `${pointer || "/"}: ${JSON.stringify(a)} here, ${JSON.stringify(b)} from kustomize`;
}

function kustomizeCommand() {
  for (const candidate of [["kustomize", ["build"]], ["kubectl", ["kustomize"]]]) {
    try {
      execFileSync(candidate[0], ["version", ...(candidate[0] === "kubectl" ? ["--client"] : [])], { stdio: "ignore" });
      return candidate;
    } catch {
      // not installed
    }
  }
  return null;
}

/**
 * Builds `variant` with the real Kustomize: in place when every generator file exists, else in a
 * copy of deploy/ with the same placeholders (never copying real secrets around).
 */
function kustomizeBuild(command, deploy, variant, items) {
  const files = items.flatMap((item) => Object.values(item.fileOfKey ?? {}));
  if (files.every((file) => fs.existsSync(file))) {
    const out = execFileSync(command[0], [...command[1], variant.dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return YAML.parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
  }
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "quiver-kustomize-"));
  try {
    const present = new Set(files.filter((file) => fs.existsSync(file)));
    fs.cpSync(deploy, copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) && !present.has(src) });
    for (const item of items) {
      for (const [key, file] of Object.entries(item.fileOfKey ?? {})) {
        const target = path.join(copy, path.relative(deploy, file));
        if (!fs.existsSync(target)) {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, item.obj.kind === "Secret" ? Buffer.from(item.obj.data[key], "base64") : item.obj.data[key]);
        }
      }
    }
    const out = execFileSync(command[0], [...command[1], path.join(copy, path.relative(deploy, variant.dir))],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return YAML.parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

async function validateAll({ deploy, readme, dockerfile, kustomize, quiet }) {
  const root = path.dirname(deploy);
  const problems = [];
  const ctx = { placeholders: true, notes: new Set(), root };
  const options = serverOptions(readme);
  const imageEnv = imageEnvironment(dockerfile);
  if (!imageEnv) ctx.notes.add(`${dockerfile ? path.relative(root, dockerfile) : "the image's Dockerfile"} not found: the image's ENV settings are not taken into account`);
  const command = kustomize ? kustomizeCommand() : null;
  const summary = [];
  for (const variant of variants(deploy)) {
    const problem = (item, pointer, check, message, at = null) => {
      const where = at ?? locate(item, pointer || "");
      problems.push({ variant: variant.name, check, message, file: where.file, line: where.line,
        object: `${item.obj.kind}/${item.obj.metadata.name}`, pointer: pointer || "/" });
    };
    let items;
    try {
      items = finish(build(variant.dir, ctx));
    } catch (e) {
      if (!(e instanceof RenderError)) throw e;
      problems.push({ variant: variant.name, check: "render", message: e.message, file: e.file, line: e.line, object: "", pointer: "" });
      continue;
    }
    for (const item of items) await validateSchema(item, problem);
    checkQuiver(items, problem, options, imageEnv);
    if (command) {
      let theirs;
      try {
        theirs = kustomizeBuild(command, deploy, variant, items);
      } catch (e) {
        problems.push({ variant: variant.name, check: "kustomize", message: `${command.flat().join(" ")} failed: ${e.stderr || e.message}`,
          file: path.join(variant.dir, "kustomization.yaml"), line: undefined, object: "", pointer: "" });
        continue;
      }
      const ours = new Map(items.map((it) => [`${it.obj.kind}/${it.obj.metadata.name}`, it]));
      for (const obj of theirs) {
        const id = `${obj.kind}/${obj.metadata.name}`;
        const item = ours.get(id);
        if (!item) {
          problems.push({ variant: variant.name, check: "kustomize", message: `kustomize renders ${id}, validate.mjs does not`,
            file: path.join(variant.dir, "kustomization.yaml"), object: id, pointer: "/" });
          continue;
        }
        ours.delete(id);
        const diff = firstDifference(canonical(item.obj), canonical(obj));
        if (diff) problem(item, "", "kustomize", `validate.mjs renders this differently from kustomize: ${diff}`);
      }
      for (const id of ours.keys()) {
        problems.push({ variant: variant.name, check: "kustomize", message: `validate.mjs renders ${id}, kustomize does not`,
          file: path.join(variant.dir, "kustomization.yaml"), object: id, pointer: "/" });
      }
    }
    summary.push(`${variant.name} (${items.map((it) => it.obj.kind).join(", ")})`);
  }
  if (!quiet) {
    for (const note of ctx.notes) console.log(`validate: note: ${note}`);
    console.log(command ? `validate: rendering cross-checked with \`${command.flat().join(" ")}\``
      : kustomize ? "validate: note: neither kustomize nor kubectl is installed: rendering not cross-checked" : "");
  }
  return { problems, summary };
}

function formatProblem(p, root) {
  const file = p.file ? path.relative(root, p.file) : "?";
  const where = p.object ? ` ${p.object}${p.pointer && p.pointer !== "/" ? ` ${p.pointer}` : ""}:` : "";
  return `${file}${p.line ? `:${p.line}` : ""}: [${p.variant}] [${p.check}]${where} ${p.message}`;
}

// ---------------------------------------------------------------------------------------------
// Self-test: each breakage of a copy of the manifests must be reported by the named check

const SELF_TESTS = [
  ["a port given as a string", "schema", "must be integer",
    (e) => e.yaml("base/statefulset.yaml", (d) => d.setIn(["spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"], "8815"))],
  ["a misspelt field", "schema", 'unknown field "readOnlyRootFilesytem"',
    (e) => e.text("base/statefulset.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesytem: true")],
  ["an invalid enum value", "schema", "must be equal to one of the allowed values",
    (e) => e.text("base/statefulset.yaml", "imagePullPolicy: IfNotPresent", "imagePullPolicy: Sometimes")],
  ["no liveness probe", "probes", "livenessProbe is missing",
    (e) => e.yaml("base/statefulset.yaml", (d) => d.deleteIn(["spec", "template", "spec", "containers", 0, "livenessProbe"]))],
  ["a probe of the wrong port", "probes", "not the Flight port",
    (e) => e.yaml("base/statefulset.yaml", (d) => d.setIn(["spec", "template", "spec", "containers", 0, "readinessProbe", "grpc", "port"], 9464))],
  ["grpc probes against TLS (secure overlay without its probe patch)", "probes", "speaks TLS",
    (e) => e.yaml("overlays/secure/statefulset-secure.yaml", (d) => d.deleteIn(["spec", "template", "spec", "containers", 0, "readinessProbe"]))],
  ["privilege escalation allowed", "security", "allowPrivilegeEscalation must be false",
    (e) => e.text("base/statefulset.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true")],
  ["running as root", "security", "must not run as root",
    (e) => e.text("base/statefulset.yaml", "runAsUser: 10001", "runAsUser: 0")],
  ["capabilities kept", "security", "capabilities.drop must contain ALL",
    (e) => e.text("base/statefulset.yaml", 'drop: ["ALL"]', 'drop: ["NET_RAW"]')],
  ["no seccomp profile", "security", "seccompProfile",
    (e) => e.yaml("base/statefulset.yaml", (d) => d.deleteIn(["spec", "template", "spec", "securityContext", "seccompProfile"]))],
  ["no writable /tmp", "security", "/tmp",
    (e) => e.yaml("base/statefulset.yaml", (d) => d.deleteIn(["spec", "template", "spec", "containers", 0, "volumeMounts", 2]))],
  ["no memory limit", "resources", "resources.limits.memory must be set",
    (e) => e.yaml("base/statefulset.yaml", (d) => d.deleteIn(["spec", "template", "spec", "containers", 0, "resources", "limits"]))],
  ["a Service selecting nothing", "services", "matches the pods of no rendered workload",
    (e) => e.yaml("base/service-metrics.yaml", (d) => d.setIn(["spec", "selector", "app.kubernetes.io/name"], "quiverr"))],
  ["a Service port with no container port", "services", "targetPort flight",
    (e) => e.text("base/service.yaml", "targetPort: grpc", "targetPort: flight")],
  ["a StatefulSet without its headless Service", "services", "names no rendered Service",
    (e) => e.text("base/statefulset.yaml", "serviceName: quiver-headless", "serviceName: quiver-hl")],
  ["a PDB that blocks node drains", "pdb", "allows no eviction",
    (e) => e.text("base/pdb.yaml", "maxUnavailable: 1", "minAvailable: 1")],
  ["a PDB selecting nothing", "pdb", "matches the pods of no rendered workload",
    (e) => e.yaml("base/pdb.yaml", (d) => d.setIn(["spec", "selector", "matchLabels", "app.kubernetes.io/instance"], "other"))],
  ["a grace period shorter than the drain", "config", "terminationGracePeriodSeconds (30)",
    (e) => e.text("base/statefulset.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 30")],
  ["an unknown config file key", "config", 'key "max-stream"',
    (e) => e.text("base/quiver.properties", "max-streams = 256", "max-stream = 256")],
  ["a misspelt QUIVER_ variable", "config", "QUIVER_TLS_CRT sets no server option",
    (e) => e.text("overlays/secure/statefulset-secure.yaml", "name: QUIVER_TLS_CERT", "name: QUIVER_TLS_CRT")],
  ["service links left on", "config", "enableServiceLinks must be false",
    (e) => e.text("base/statefulset.yaml", "enableServiceLinks: false", "enableServiceLinks: true")],
  ["a config file key that an environment variable overrides", "config", 'key "port" is overridden by the container\'s QUIVER_PORT',
    (e) => e.append("base/quiver.properties", "port = 8816\n")],
  ["the server port and the container port apart", "config", "the server listens on 8816",
    (e) => e.text("base/statefulset.yaml", 'value: "8815"', 'value: "8816"')],
  ["the metrics port and the annotation apart", "prometheus", "prometheus.io/port",
    (e) => e.text("base/statefulset.yaml", 'value: "9464"', 'value: "9465"')],
  ["the data directory off the volume", "config", "not on a persistent volume",
    (e) => e.text("base/statefulset.yaml", "value: /data", "value: /srv/data")],
  ["a TLS key path outside the Secret", "references", "is on no mounted volume",
    (e) => e.text("overlays/secure/statefulset-secure.yaml", "value: /etc/quiver/secrets/tls.key", "value: /etc/quiver/secret/tls.key")],
  ["a Secret key the generator does not make", "references", "has no key auth.json",
    (e) => e.text("overlays/secure/kustomization.yaml", "- secrets/auth.json", "- secrets/users.json")],
  ["a TLS key that is not PKCS#8", "secrets", "not a PEM PKCS#8 private key",
    (e) => {
      e.write("overlays/secure/secrets/tls.key", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n");
      e.write("overlays/secure/secrets/tls.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
      e.write("overlays/secure/secrets/auth.json", '{"tokens": [{"name": "ci", "sha256": "00", "scopes": ["admin"]}]}\n');
    }],
  ["an auth file with a plaintext password", "secrets", "must be a bcrypt hash",
    (e) => e.write("overlays/secure/secrets/auth.json", '{"users": [{"name": "alice", "password": "hunter2", "scopes": ["read"]}]}\n')],
  ["a kustomization field the renderer does not know", "render", 'field "namePrefix" is not implemented',
    (e) => e.append("base/kustomization.yaml", "namePrefix: test-\n")],
  ["an image without a tag", "image", "needs a version tag",
    (e) => e.text("base/kustomization.yaml", "    newTag: 0.1.0\n", "")],
];

async function selfTest(deploy, readme, dockerfile) {
  let passed = 0;
  let failed = 0;
  const run = async (name, mutate, expect) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "quiver-deploy-selftest-"));
    try {
      const copy = path.join(root, "deploy");
      // Not node_modules, and none of the secrets a deployer may have put in overlays/*/secrets/.
      const secret = (src) => path.basename(path.dirname(src)) === "secrets" && ![".gitignore", "README.md"].includes(path.basename(src));
      fs.cpSync(deploy, copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) && !secret(src) });
      fs.copyFileSync(readme, path.join(root, "README.md"));
      const dockerCopy = path.join(root, "docker", "Dockerfile");
      if (dockerfile && fs.existsSync(dockerfile)) {
        fs.mkdirSync(path.dirname(dockerCopy));
        fs.copyFileSync(dockerfile, dockerCopy);
      }
      const edit = {
        text(file, from, to) {
          const f = path.join(copy, file);
          const text = fs.readFileSync(f, "utf8");
          if (!text.includes(from)) throw new Error(`self-test "${name}": ${file} no longer contains ${JSON.stringify(from)}`);
          fs.writeFileSync(f, text.replace(from, to));
        },
        yaml(file, change) {
          const f = path.join(copy, file);
          const doc = YAML.parseDocument(fs.readFileSync(f, "utf8"));
          change(doc);
          fs.writeFileSync(f, doc.toString());
        },
        append(file, text) {
          fs.appendFileSync(path.join(copy, file), text);
        },
        write(file, text) {
          fs.writeFileSync(path.join(copy, file), text);
        },
      };
      mutate?.(edit);
      const { problems } = await validateAll({ deploy: copy, readme: path.join(root, "README.md"), dockerfile: dockerCopy,
        kustomize: false, quiet: true });
      const ok = expect
        ? problems.some((p) => p.check === expect.check && p.message.includes(expect.text))
        : problems.length === 0;
      if (ok) {
        passed++;
        console.log(`self-test: ok   ${name}${expect ? `: ${formatProblem(problems.find((p) => p.check === expect.check && p.message.includes(expect.text)), root)}` : ""}`);
      } else {
        failed++;
        console.log(`self-test: FAIL ${name}: expected ${expect ? `[${expect.check}] "${expect.text}"` : "no problem"}, got:`);
        for (const p of problems) console.log(`    ${formatProblem(p, root)}`);
        if (problems.length === 0) console.log("    (no problem reported)");
      }
    } catch (e) {
      failed++;
      console.log(`self-test: FAIL ${name}: ${e.stack}`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  };
  await run("the manifests as committed", null, null);
  for (const [name, check, text, mutate] of SELF_TESTS) await run(name, mutate, { check, text });
  console.log(`self-test: ${passed} passed, ${failed} failed`);
  return failed === 0;
}

// ---------------------------------------------------------------------------------------------

async function main(argv) {
  const args = { deploy: path.resolve(HERE, ".."), readme: null, dockerfile: null, kustomize: true, print: null, selfTest: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--deploy") args.deploy = path.resolve(argv[++i]);
    else if (a === "--readme") args.readme = path.resolve(argv[++i]);
    else if (a === "--dockerfile") args.dockerfile = path.resolve(argv[++i]);
    else if (a === "--no-kustomize") args.kustomize = false;
    else if (a === "--print") args.print = argv[++i];
    else if (a === "--self-test") args.selfTest = true;
    else {
      console.error(`validate: unknown argument ${a}\n${fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 10).join("\n")}`);
      return 2;
    }
  }
  args.readme ??= path.join(path.dirname(args.deploy), "README.md");
  args.dockerfile ??= path.join(path.dirname(args.deploy), "docker", "Dockerfile");
  if (args.selfTest) return (await selfTest(args.deploy, args.readme, args.dockerfile)) ? 0 : 1;
  if (args.print) {
    const variant = variants(args.deploy).find((v) => v.name === args.print);
    if (!variant) {
      console.error(`validate: no variant ${args.print} (${variants(args.deploy).map((v) => v.name).join(", ")})`);
      return 2;
    }
    const items = finish(build(variant.dir, { placeholders: true, notes: new Set(), root: path.dirname(args.deploy) }));
    process.stdout.write(items.map((it) => YAML.stringify(it.obj)).join("---\n"));
    return 0;
  }
  const { problems, summary } = await validateAll(args);
  const root = path.dirname(args.deploy);
  for (const p of problems) console.log(formatProblem(p, root));
  console.log(`validate: ${summary.join("; ")}`);
  if (problems.length > 0) {
    console.log(`validate: ${problems.length} problem(s) in ${path.relative(root, args.deploy)}/`);
    return 1;
  }
  console.log("validate: every object matches its Kubernetes schema and Quiver's rules");
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((e) => {
  if (e instanceof RenderError) {
    console.error(`${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}`);
  } else {
    console.error(e.stack);
  }
  return 1;
});
