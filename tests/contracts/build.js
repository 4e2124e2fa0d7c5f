// Compiles the test contracts with solc-js (offline: the compiler is the npm package) and
// writes artifacts.json (ABI + bytecode per contract of ours; imported libraries are
// inlined). Run through build.sh.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const here = __dirname;
const sources = {};
for (const file of fs.readdirSync(here).filter((f) => f.endsWith(".sol")).sort()) {
  sources[file] = { content: fs.readFileSync(path.join(here, file), "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
// Imports (OpenZeppelin's MerkleProof) come from the npm package in ./node_modules.
function findImports(name) {
  const file = path.join(here, "node_modules", name);
  return fs.existsSync(file) ? { contents: fs.readFileSync(file, "utf8") } : { error: `not found: ${name}` };
}
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);
const artifacts = { compiler: solc.version(), evmVersion: "cancun", contracts: {} };
for (const file of Object.keys(output.contracts).filter((f) => f in sources).sort()) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    if (!c.evm.bytecode.object) continue; // interfaces have no code
    artifacts.contracts[name] = { source: file, abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
  }
}
fs.writeFileSync(path.join(here, "artifacts.json"), JSON.stringify(artifacts, null, 1) + "\n");
console.log("wrote artifacts.json:", Object.keys(artifacts.contracts).join(", "), "with", artifacts.compiler);
