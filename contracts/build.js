#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// Compiles the contracts under src/ with the solc pinned in package.json (solc-js, standard JSON)
// and writes one artifact per deployable contract:
//
//   <outDir>/<Name>.json = { contractName, sourceName, solcVersion, evmVersion, abi, bytecode,
//                            deployedBytecode }
//
// Usage: node build.js [outDir]   (default: artifacts/ beside this file)
//
// Groups (each compiled separately, optimizer on with 200 runs):
//   src/system  evmVersion "berlin": genesis system contracts, must run on every engine profile;
//               placed in the genesis alloc as runtime code, so no immutables or libraries to link.
//   src/child   evmVersion "berlin": the BTTC side of the token bridge (ChildChainManager, a
//               genesis system contract, and the ChildERC20 it deploys); same rules as src/system.
//   src/root    evmVersion "berlin": root-chain contracts (staking, state sender, token bridge);
//               deployed by transactions, so immutables are allowed. berlin keeps them free of
//               PUSH0 and the newer opcodes that not every root chain's EVM (TRON's TVM) has.
//   src/test    solc's default evmVersion: contracts for client tests and benchmarks.
// Libraries and interfaces (src/lib, imported) produce no artifact.
//
// Source names are relative to this directory and sources are read in sorted order, so the
// output is the same on every machine. Any compiler warning fails the build.
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const ROOT = __dirname;
const PRE_LONDON_DEPRECATION =
  "Support for EVM versions older than london is deprecated and will be removed in the future.";
const GROUPS = [
  { dir: "src/system", evmVersion: "berlin", genesis: true },
  { dir: "src/child", evmVersion: "berlin", genesis: true },
  { dir: "src/root", evmVersion: "berlin", genesis: false },
  { dir: "src/test", evmVersion: null, genesis: false },
];

function fail(message) {
  process.stderr.write(`build.js: ${message}\n`);
  process.exit(1);
}

function listSources(dir) {
  const out = [];
  const walk = (rel) => {
    const entries = fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.isFile() && e.name.endsWith(".sol")) out.push(child);
    }
  };
  walk(dir);
  return out;
}

// Resolves imports inside this directory only.
function findImports(sourceName) {
  const normalized = path.posix.normalize(sourceName);
  if (path.posix.isAbsolute(normalized) || normalized.startsWith("..")) {
    return { error: `import ${sourceName} is outside the contracts directory` };
  }
  const file = path.join(ROOT, normalized);
  if (!fs.existsSync(file)) return { error: `import ${sourceName} not found` };
  return { contents: fs.readFileSync(file, "utf8") };
}

function hex(object, what) {
  if (typeof object !== "string" || !/^[0-9a-f]*$/.test(object)) {
    fail(`${what}: expected unlinked-free hex bytecode, found ${JSON.stringify(object)}`);
  }
  return `0x${object}`;
}

function compileGroup(group) {
  const files = listSources(group.dir);
  if (files.length === 0) fail(`no .sol files under ${group.dir}`);
  const sources = {};
  for (const f of files) sources[f] = { content: fs.readFileSync(path.join(ROOT, f), "utf8") };
  const settings = {
    optimizer: { enabled: true, runs: 200 },
    outputSelection: {
      "*": {
        "": ["ast"],
        "*": [
          "abi",
          "metadata",
          "evm.bytecode.object",
          "evm.bytecode.linkReferences",
          "evm.deployedBytecode.object",
          "evm.deployedBytecode.linkReferences",
          "evm.deployedBytecode.immutableReferences",
        ],
      },
    },
  };
  if (group.evmVersion !== null) settings.evmVersion = group.evmVersion;
  const input = { language: "Solidity", sources, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  // solc >= 0.8.31 deprecates targets older than london; the system group targets berlin on
  // purpose (the BTTC-compatible engine profile), so that one notice is expected and printed.
  const problems = [];
  for (const p of output.errors || []) {
    if (p.severity === "warning" && p.message === PRE_LONDON_DEPRECATION && group.evmVersion === "berlin") {
      console.log(`  note (${group.dir}): ${p.message}`);
      continue;
    }
    problems.push(p);
    process.stderr.write(`${p.formattedMessage || p.message}\n`);
  }
  if (problems.length > 0) {
    fail(`${group.dir}: solc reported ${problems.length} error(s)/warning(s); warnings are errors here`);
  }

  const artifacts = [];
  for (const sourceName of files) {
    const ast = output.sources[sourceName] && output.sources[sourceName].ast;
    if (!ast) fail(`${sourceName}: no AST in solc output`);
    for (const node of ast.nodes) {
      if (node.nodeType !== "ContractDefinition") continue;
      if (node.contractKind !== "contract" || node.abstract) continue;
      const name = node.name;
      const c = output.contracts[sourceName] && output.contracts[sourceName][name];
      if (!c) fail(`${sourceName}:${name}: missing from solc output`);
      const linkRefs = [c.evm.bytecode.linkReferences, c.evm.deployedBytecode.linkReferences];
      if (linkRefs.some((r) => r && Object.keys(r).length > 0)) {
        fail(`${sourceName}:${name}: needs library linking, which the artifacts do not support`);
      }
      const immutables = c.evm.deployedBytecode.immutableReferences || {};
      if (group.genesis && Object.keys(immutables).length > 0) {
        fail(`${sourceName}:${name}: genesis contracts run without a constructor; immutables are not allowed`);
      }
      const metadata = JSON.parse(c.metadata);
      const artifact = {
        contractName: name,
        sourceName,
        solcVersion: metadata.compiler.version,
        evmVersion: metadata.settings.evmVersion,
        abi: c.abi,
        bytecode: hex(c.evm.bytecode.object, `${name} bytecode`),
        deployedBytecode: hex(c.evm.deployedBytecode.object, `${name} deployedBytecode`),
      };
      if (artifact.deployedBytecode === "0x") fail(`${sourceName}:${name}: empty deployed bytecode`);
      if (group.evmVersion !== null && artifact.evmVersion !== group.evmVersion) {
        fail(`${name}: compiled for ${artifact.evmVersion}, expected ${group.evmVersion}`);
      }
      artifacts.push(artifact);
    }
  }
  return artifacts;
}

function main() {
  const outDir = path.resolve(process.argv[2] || path.join(ROOT, "artifacts"));
  fs.mkdirSync(outDir, { recursive: true });
  console.log(`compiling with solc ${solc.version()} into ${outDir}`);

  const written = new Set();
  for (const group of GROUPS) {
    const artifacts = compileGroup(group);
    for (const a of artifacts) {
      const file = `${a.contractName}.json`;
      if (written.has(file)) fail(`two contracts are named ${a.contractName}`);
      written.add(file);
      fs.writeFileSync(path.join(outDir, file), `${JSON.stringify(a, null, 2)}\n`);
      console.log(`  ${a.sourceName} -> ${file} (evm ${a.evmVersion}, runtime ${(a.deployedBytecode.length - 2) / 2} bytes)`);
    }
  }
  for (const file of fs.readdirSync(outDir).sort()) {
    if (file.endsWith(".json") && !written.has(file)) {
      fs.unlinkSync(path.join(outDir, file));
      console.log(`  removed stale ${file}`);
    }
  }
}

main();
