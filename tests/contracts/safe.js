// Extracts the Safe contracts govbot's tests deploy (the Safe singleton, SafeProxyFactory,
// CompatibilityFallbackHandler, SignMessageLib) from the build artifacts shipped in the
// @safe-global/safe-contracts npm package, into safe-artifacts.json (ABI + bytecode).
// Run through build.sh, which installs the pinned package into ./node_modules first.
const fs = require("fs");
const path = require("path");

const here = __dirname;
const pkg = path.join(here, "node_modules", "@safe-global", "safe-contracts");
const version = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).version;
const wanted = {
  Safe: "Safe.sol/Safe.json",
  SafeProxyFactory: "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
  CompatibilityFallbackHandler: "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
  SignMessageLib: "libraries/SignMessageLib.sol/SignMessageLib.json",
};
const artifacts = { package: `@safe-global/safe-contracts@${version}`, contracts: {} };
for (const [name, file] of Object.entries(wanted)) {
  const built = JSON.parse(fs.readFileSync(path.join(pkg, "build", "artifacts", "contracts", file), "utf8"));
  if (built.contractName !== name || !built.bytecode || built.bytecode === "0x") {
    console.error(`unexpected artifact for ${name} in ${file}`);
    process.exit(1);
  }
  artifacts.contracts[name] = { source: built.sourceName, abi: built.abi, bytecode: built.bytecode };
}
fs.writeFileSync(path.join(here, "safe-artifacts.json"), JSON.stringify(artifacts, null, 1) + "\n");
console.log("wrote safe-artifacts.json:", Object.keys(artifacts.contracts).join(", "), "from", artifacts.package);
